package dev.kiln.api.layers;

import static dev.kiln.api.layers.LayerTestSupport.runLayerTest;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.api.layers.LayerTestSupport.Expect;
import dev.kiln.api.layers.LayerTestSupport.LayerCase;
import dev.kiln.api.layers.pooling.AveragePooling1D;
import dev.kiln.api.layers.pooling.AveragePooling2D;
import dev.kiln.api.layers.pooling.AveragePooling3D;
import dev.kiln.api.layers.pooling.GlobalAveragePooling1D;
import dev.kiln.api.layers.pooling.GlobalAveragePooling2D;
import dev.kiln.api.layers.pooling.GlobalAveragePooling3D;
import dev.kiln.api.layers.pooling.GlobalMaxPooling1D;
import dev.kiln.api.layers.pooling.GlobalMaxPooling2D;
import dev.kiln.api.layers.pooling.GlobalMaxPooling3D;
import dev.kiln.api.layers.pooling.MaxPooling1D;
import dev.kiln.api.layers.pooling.MaxPooling2D;
import dev.kiln.api.layers.pooling.MaxPooling3D;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * runLayerTest for every pooling layer, then forward values against TF.js ({@code
 * golden/tfjs-conv.json}) on every backend.
 */
class PoolingLayersTest {
  private static Expect shape(int... shape) {
    return new Expect(shape, 0, false);
  }

  @TestFactory
  Stream<DynamicTest> runLayerTests() {
    return LayerTestSupport.onEveryBackend(cases());
  }

  @TestFactory
  Stream<DynamicTest> goldenForwardValues() {
    return LayerTestSupport.onEveryBackend(
        ConvolutionLayersTest.goldenCases("MaxPooling", "AveragePooling", "Global"));
  }

  /** A runLayerTest case per pooling layer. */
  static List<LayerCase> cases() {
    return List.of(
        new LayerCase(
            "MaxPooling1D", () -> runLayerTest(MaxPooling1D::new, new int[] {6, 2}, shape(3, 2))),
        new LayerCase(
            "MaxPooling2D",
            () -> runLayerTest(MaxPooling2D::new, new int[] {4, 5, 2}, shape(2, 2, 2))),
        new LayerCase(
            "MaxPooling2D [same, strides 1]",
            () ->
                runLayerTest(
                    () -> new MaxPooling2D(3).strides(1).padding("same"),
                    new int[] {4, 5, 2},
                    shape(4, 5, 2))),
        new LayerCase(
            "MaxPooling3D",
            () -> runLayerTest(MaxPooling3D::new, new int[] {2, 4, 4, 1}, shape(1, 2, 2, 1))),
        new LayerCase(
            "AveragePooling1D",
            () ->
                runLayerTest(
                    () -> new AveragePooling1D(3).strides(2).padding("same"),
                    new int[] {7, 2},
                    shape(4, 2))),
        new LayerCase(
            "AveragePooling2D [channels_first]",
            () ->
                runLayerTest(
                    () -> new AveragePooling2D(2).dataFormat("channels_first"),
                    new int[] {3, 4, 6},
                    shape(3, 2, 3))),
        new LayerCase(
            "AveragePooling3D",
            () ->
                runLayerTest(
                    () -> new AveragePooling3D(2, 1, 2),
                    new int[] {2, 3, 4, 2},
                    shape(1, 3, 2, 2))),
        new LayerCase(
            "GlobalMaxPooling1D",
            () -> runLayerTest(GlobalMaxPooling1D::new, new int[] {5, 3}, shape(3))),
        new LayerCase(
            "GlobalMaxPooling2D [keepdims]",
            () ->
                runLayerTest(
                    () -> new GlobalMaxPooling2D().keepdims(true),
                    new int[] {3, 4, 2},
                    shape(1, 1, 2))),
        new LayerCase(
            "GlobalMaxPooling3D",
            () -> runLayerTest(GlobalMaxPooling3D::new, new int[] {2, 2, 3, 4}, shape(4))),
        new LayerCase(
            "GlobalAveragePooling1D [channels_first]",
            () ->
                runLayerTest(
                    () -> new GlobalAveragePooling1D().dataFormat("channels_first"),
                    new int[] {3, 5},
                    shape(3))),
        new LayerCase(
            "GlobalAveragePooling2D",
            () -> runLayerTest(GlobalAveragePooling2D::new, new int[] {3, 4, 2}, shape(2))),
        new LayerCase(
            "GlobalAveragePooling3D [channels_first, keepdims]",
            () ->
                runLayerTest(
                    () -> new GlobalAveragePooling3D().dataFormat("channels_first").keepdims(true),
                    new int[] {2, 2, 3, 4},
                    shape(2, 1, 1, 1))));
  }

  @Test
  void stridesDefaultToThePoolSizeAndAreWritten() {
    Map<String, Object> c = new MaxPooling2D(3, 2).getConfig();
    assertEquals(List.of(3, 2), c.get("pool_size"));
    assertEquals(List.of(3, 2), c.get("strides"));
    assertEquals("valid", c.get("padding"));
    assertEquals("channels_last", c.get("data_format"));
    assertEquals(List.of(2, 2, 2), new AveragePooling3D().getConfig().get("pool_size"));
    assertEquals(List.of(1, 1), new AveragePooling2D(2).strides(1).getConfig().get("strides"));
    assertEquals(false, new GlobalAveragePooling2D().getConfig().get("keepdims"));
    // Keras's aliases find the same classes.
    assertEquals("AveragePooling1D", Layers.fromConfig("AvgPool1D", Map.of()).className());
    assertEquals("GlobalMaxPooling3D", Layers.fromConfig("GlobalMaxPool3D", Map.of()).className());
  }
}
