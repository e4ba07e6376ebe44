package dev.kiln.api.layers;

import static dev.kiln.api.layers.LayerTestSupport.runLayerTest;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.layers.LayerTestSupport.Expect;
import dev.kiln.api.layers.LayerTestSupport.LayerCase;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.preprocessing.CenterCrop;
import dev.kiln.api.layers.preprocessing.Resizing;
import dev.kiln.api.layers.reshaping.Cropping1D;
import dev.kiln.api.layers.reshaping.Cropping2D;
import dev.kiln.api.layers.reshaping.Cropping3D;
import dev.kiln.api.layers.reshaping.UpSampling1D;
import dev.kiln.api.layers.reshaping.UpSampling2D;
import dev.kiln.api.layers.reshaping.UpSampling3D;
import dev.kiln.api.layers.reshaping.ZeroPadding1D;
import dev.kiln.api.layers.reshaping.ZeroPadding2D;
import dev.kiln.api.layers.reshaping.ZeroPadding3D;
import dev.kiln.api.registry.ArgumentException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The padding, cropping, upsampling and image layers: runLayerTest per layer and golden forward
 * values from TF.js ({@code golden/tfjs-attn.json}), on every backend.
 */
class ReshapingImageLayersTest {
  private static Expect noTrain(int... shape) {
    return new Expect(shape, 0, false);
  }

  @TestFactory
  Stream<DynamicTest> runLayerTests() {
    return LayerTestSupport.onEveryBackend(cases());
  }

  @TestFactory
  Stream<DynamicTest> goldenValues() {
    return LayerTestSupport.onEveryBackend(goldenCases());
  }

  /** A runLayerTest case per layer of the family. */
  static List<LayerCase> cases() {
    return List.of(
        new LayerCase(
            "ZeroPadding1D",
            () -> runLayerTest(() -> new ZeroPadding1D(1, 2), new int[] {4, 2}, noTrain(7, 2))),
        new LayerCase(
            "ZeroPadding2D",
            () ->
                runLayerTest(
                    () -> new ZeroPadding2D(new int[][] {{1, 0}, {2, 1}}),
                    new int[] {3, 4, 2},
                    noTrain(4, 7, 2))),
        new LayerCase(
            "ZeroPadding2D [channels_first]",
            () ->
                runLayerTest(
                    () -> new ZeroPadding2D(1, 2).dataFormat("channels_first"),
                    new int[] {2, 3, 4},
                    noTrain(2, 5, 8))),
        new LayerCase(
            "ZeroPadding3D",
            () ->
                runLayerTest(
                    () -> new ZeroPadding3D(1, 0, 2), new int[] {2, 2, 2, 1}, noTrain(4, 2, 6, 1))),
        new LayerCase(
            "Cropping1D",
            () -> runLayerTest(() -> new Cropping1D(1, 2), new int[] {5, 2}, noTrain(2, 2))),
        new LayerCase(
            "Cropping2D",
            () ->
                runLayerTest(
                    () -> new Cropping2D(new int[][] {{2, 0}, {1, 1}}),
                    new int[] {4, 5, 2},
                    noTrain(2, 3, 2))),
        new LayerCase(
            "Cropping3D",
            () -> runLayerTest(Cropping3D::new, new int[] {3, 4, 5, 1}, noTrain(1, 2, 3, 1))),
        new LayerCase(
            "UpSampling1D",
            () -> runLayerTest(() -> new UpSampling1D(3), new int[] {2, 2}, noTrain(6, 2))),
        new LayerCase(
            "UpSampling2D",
            () ->
                runLayerTest(() -> new UpSampling2D(2, 3), new int[] {2, 2, 1}, noTrain(4, 6, 1))),
        new LayerCase(
            "UpSampling2D [bilinear]",
            () ->
                runLayerTest(
                    () -> new UpSampling2D(2).interpolation("bilinear"),
                    new int[] {2, 3, 1},
                    noTrain(4, 6, 1))),
        new LayerCase(
            "UpSampling3D",
            () -> runLayerTest(UpSampling3D::new, new int[] {1, 2, 1, 2}, noTrain(2, 4, 2, 2))),
        new LayerCase(
            "Resizing",
            () -> runLayerTest(() -> new Resizing(3, 5), new int[] {4, 4, 2}, noTrain(3, 5, 2))),
        new LayerCase(
            "Resizing [nearest, crop_to_aspect_ratio]",
            () ->
                runLayerTest(
                    () -> new Resizing(2, 4).interpolation("nearest").cropToAspectRatio(true),
                    new int[] {4, 4, 2},
                    noTrain(2, 4, 2))),
        new LayerCase(
            "CenterCrop",
            () -> runLayerTest(() -> new CenterCrop(2, 3), new int[] {4, 4, 2}, noTrain(2, 3, 2))));
  }

  private static LayerCase golden(String name, Supplier<Layer> factory) {
    return new LayerCase(
        name + " [golden]",
        () -> {
          Layer layer = factory.get();
          AttnGolden.check(name, layer, ins -> layer.applyAll(ins));
        });
  }

  /** Each golden case of this family. */
  static List<LayerCase> goldenCases() {
    List<LayerCase> out = new ArrayList<>();
    out.add(golden("ZeroPadding1D [1, 2]", () -> new ZeroPadding1D(1, 2)));
    out.add(
        golden(
            "ZeroPadding2D [(1, 0), (2, 1)]",
            () -> new ZeroPadding2D(new int[][] {{1, 0}, {2, 1}})));
    out.add(
        golden(
            "ZeroPadding2D [(0, 1), (1, 2)] channels_first",
            () -> new ZeroPadding2D(new int[][] {{0, 1}, {1, 2}}).dataFormat("channels_first")));
    out.add(
        golden(
            "ZeroPadding3D [(1, 0), (0, 1), (2, 0)]",
            () -> new ZeroPadding3D(new int[][] {{1, 0}, {0, 1}, {2, 0}})));
    out.add(golden("Cropping1D [1, 2]", () -> new Cropping1D(1, 2)));
    out.add(
        golden("Cropping2D [(2, 0), (1, 1)]", () -> new Cropping2D(new int[][] {{2, 0}, {1, 1}})));
    out.add(
        golden(
            "Cropping2D [(1, 2), (0, 3)] channels_first",
            () -> new Cropping2D(new int[][] {{1, 2}, {0, 3}}).dataFormat("channels_first")));
    out.add(
        golden(
            "Cropping3D [(1, 0), (0, 1), (1, 2)]",
            () -> new Cropping3D(new int[][] {{1, 0}, {0, 1}, {1, 2}})));
    out.add(golden("UpSampling1D [3]", () -> new UpSampling1D(3)));
    out.add(golden("UpSampling2D [2, 3] nearest", () -> new UpSampling2D(2, 3)));
    out.add(
        golden(
            "UpSampling2D [2, 3] bilinear",
            () -> new UpSampling2D(2, 3).interpolation("bilinear")));
    out.add(
        golden(
            "UpSampling2D [3, 2] bilinear channels_first",
            () -> new UpSampling2D(3, 2).interpolation("bilinear").dataFormat("channels_first")));
    out.add(golden("UpSampling3D [2, 1, 3]", () -> new UpSampling3D(2, 1, 3)));
    out.add(golden("Resizing [3, 4] bilinear", () -> new Resizing(3, 4)));
    out.add(golden("Resizing [8, 9] bilinear", () -> new Resizing(8, 9)));
    out.add(golden("Resizing [3, 4] nearest", () -> new Resizing(3, 4).interpolation("nearest")));
    out.add(
        golden(
            "Resizing [4, 3] bilinear crop_to_aspect_ratio",
            () -> new Resizing(4, 3).cropToAspectRatio(true)));
    out.add(
        golden(
            "Resizing [4, 3] bilinear channels_first",
            () -> new Resizing(4, 3).dataFormat("channels_first")));
    out.add(golden("CenterCrop [2, 4]", () -> new CenterCrop(2, 4)));
    out.add(golden("CenterCrop [6, 4]", () -> new CenterCrop(6, 4)));
    return out;
  }

  @Test
  void badArgumentsFailAtConstruction() {
    assertThrows(ArgumentException.class, () -> new ZeroPadding2D(-1));
    ArgumentException e =
        assertThrows(ArgumentException.class, () -> new Cropping2D(new int[][] {{1, -1}, {0, 0}}));
    assertTrue(e.getMessage().contains("[[1, -1], [0, 0]]"), e.getMessage());
    assertThrows(ArgumentException.class, () -> new UpSampling2D(2, 0));
    assertThrows(ArgumentException.class, () -> new UpSampling2D(2).interpolation("bicubic"));
    assertThrows(ArgumentException.class, () -> new Resizing(0, 3));
    assertThrows(
        ArgumentException.class,
        () -> Layers.fromConfig("Cropping2D", Map.of("cropping", List.of(1, 2, 3))));
  }

  @Test
  void croppingTooMuchNamesTheLayerAndShape() {
    KerasTensor x = Input.of(3, 4, 1);
    Cropping2D crop = new Cropping2D(new int[][] {{2, 1}, {0, 0}});
    RuntimeException e = assertThrows(RuntimeException.class, () -> crop.apply(x));
    assertTrue(
        e.getMessage().contains(crop.name()) && e.getMessage().contains("3"), e.getMessage());
  }

  @Test
  void configsReadKerasForms() {
    // Keras writes ((top, bottom), (left, right)); an int or a pair of ints also reads.
    ZeroPadding2D p = (ZeroPadding2D) Layers.fromConfig("ZeroPadding2D", Map.of("padding", 2));
    assertTrue(java.util.Arrays.deepEquals(new int[][] {{2, 2}, {2, 2}}, p.padding()));
    Cropping2D c =
        (Cropping2D)
            Layers.fromConfig(
                "Cropping2D", Map.of("cropping", List.of(List.of(1, 0), List.of(2, 3))));
    assertTrue(java.util.Arrays.deepEquals(new int[][] {{1, 0}, {2, 3}}, c.cropping()));
    assertTrue(
        c.getConfig().get("cropping").equals(List.of(List.of(1, 0), List.of(2, 3))),
        c.getConfig().toString());
  }
}
