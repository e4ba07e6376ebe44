package dev.kiln.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The user-facing host tensor. */
class TensorTest {
  @Test
  void createReadAndArgmax() {
    Tensor t = Tensor.of(new float[][] {{1, 5, 2}, {7, 0, 7}});
    assertEquals(Shape.of(2, 3), t.shape());
    assertArrayEquals(new float[] {1, 5, 2, 7, 0, 7}, t.toFloatArray());
    assertArrayEquals(new int[] {1, 0}, t.argmax(), "first maximum on ties");
    assertEquals(7f, t.getFloat(1, 2));
    assertArrayEquals(new float[] {7, 0, 7}, t.toFloatMatrix()[1]);
    assertEquals(Shape.of(3, 2), t.reshape(-1, 2).shape());
    assertEquals(DType.INT32, Tensor.of(new int[][] {{1}, {2}}).dtype());
    assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[][] {{1, 2}, {3}}));
    assertThrows(IndexOutOfBoundsException.class, () -> t.getFloat(2, 0));
  }

  @Test
  void rowsSliceTakeStackConcat() {
    Tensor t = Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 3, 2);
    assertArrayEquals(new float[] {2, 3, 4, 5}, t.slice(1, 3).toFloatArray());
    assertArrayEquals(new float[] {4, 5, 0, 1}, t.take(new int[] {2, 0}).toFloatArray());
    Tensor s = Tensor.stack(List.of(Tensor.of(new float[] {1, 2}), Tensor.of(new float[] {3, 4})));
    assertEquals(Shape.of(2, 2), s.shape());
    assertEquals(Shape.of(5, 2), Tensor.concat(List.of(t, s)).shape());
    assertThrows(
        IllegalArgumentException.class,
        () -> Tensor.stack(List.of(Tensor.of(new float[] {1}), Tensor.of(new float[] {1, 2}))));
  }
}
