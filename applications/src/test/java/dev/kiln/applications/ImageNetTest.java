package dev.kiln.applications;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Preprocessing and decoding against values worked out by hand from Keras's imagenet_utils. */
class ImageNetTest {

  @Test
  void tfModeScalesToMinusOneOne() {
    Tensor t = Tensor.of(new float[] {0f, 127.5f, 255f, 51f, 204f, 25.5f}, 1, 2, 3);
    Tensor p = ImageNet.preprocessInput(t, ImageNet.Mode.TF);
    assertArrayEquals(new int[] {1, 2, 3}, p.dims());
    assertArrayEquals(new float[] {-1f, 0f, 1f, -0.6f, 0.6f, -0.8f}, p.toFloatArray(), 1e-6f);
  }

  @Test
  void torchModeNormalizesEachRgbChannel() {
    // (255/255 - 0.485) / 0.229, (0 - 0.456) / 0.224, (127.5/255 - 0.406) / 0.225
    Tensor t = Tensor.of(new float[] {255f, 0f, 127.5f}, 1, 1, 3);
    float[] p = ImageNet.preprocessInput(t, ImageNet.Mode.TORCH).toFloatArray();
    assertArrayEquals(new float[] {2.2489083f, -2.0357143f, 0.4177778f}, p, 1e-5f);
  }

  @Test
  void caffeModeSwapsToBgrAndSubtractsBgrMeans() {
    // RGB (10, 20, 30) is BGR (30, 20, 10); less the BGR means 103.939, 116.779, 123.68.
    Tensor t = Tensor.of(new float[] {10f, 20f, 30f, 255f, 0f, 0f}, 2, 1, 1, 3);
    float[] p = ImageNet.preprocessInput(t, ImageNet.Mode.CAFFE).toFloatArray();
    assertArrayEquals(
        new float[] {-73.939f, -96.779f, -113.68f, -103.939f, -116.779f, 131.32f}, p, 1e-4f);
  }

  @Test
  void preprocessRejectsImagesWithoutThreeChannels() {
    Tensor t = Tensor.of(new float[] {1f, 2f, 3f, 4f}, 1, 2, 2);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> ImageNet.preprocessInput(t, ImageNet.Mode.TF));
    assertTrue(e.getMessage().contains("3 channels"), e.getMessage());
  }

  @Test
  void classNamesAreTheThousandImageNetClasses() {
    List<String> n = ImageNet.classNames();
    assertEquals(1000, n.size());
    assertEquals("tench, Tinca tinca", n.get(0));
    assertEquals("goldfish, Carassius auratus", n.get(1));
    assertEquals("toilet tissue, toilet paper, bathroom tissue", n.get(999));
  }

  @Test
  void decodeGivesTheTopClassesOfEachRowHighestFirst() {
    float[] v = new float[2000];
    v[1] = 0.5f;
    v[999] = 0.3f;
    v[2] = 0.2f;
    v[1000 + 0] = 0.1f;
    v[1000 + 7] = 0.9f;
    List<List<ImageNet.Prediction>> d = ImageNet.decodePredictions(Tensor.of(v, 2, 1000), 2);
    assertEquals(2, d.size());
    assertEquals(
        List.of(
            new ImageNet.Prediction(1, "goldfish, Carassius auratus", 0.5f),
            new ImageNet.Prediction(999, "toilet tissue, toilet paper, bathroom tissue", 0.3f)),
        d.get(0));
    assertEquals(7, d.get(1).get(0).index());
    assertEquals(0, d.get(1).get(1).index());
    assertEquals("cock", d.get(1).get(0).name());
  }

  @Test
  void decodeRejectsAShapeOtherThanBatchByThousand() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ImageNet.decodePredictions(Tensor.of(new float[10], 1, 10), 5));
    assertTrue(e.getMessage().contains("(samples, 1000)"), e.getMessage());
  }
}
