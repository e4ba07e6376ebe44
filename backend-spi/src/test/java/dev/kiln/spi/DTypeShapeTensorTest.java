package dev.kiln.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DTypeShapeTensorTest {
  @Test
  void promotion() {
    assertEquals(DType.FLOAT32, DType.promote(DType.FLOAT16, DType.BFLOAT16));
    assertEquals(DType.FLOAT16, DType.promote(DType.INT64, DType.FLOAT16));
    assertEquals(DType.FLOAT64, DType.promote(DType.FLOAT32, DType.FLOAT64));
    assertEquals(DType.INT32, DType.promote(DType.INT8, DType.UINT8));
    assertEquals(DType.INT32, DType.promote(DType.UINT8, DType.INT32));
    assertEquals(DType.INT64, DType.promote(DType.INT32, DType.INT64));
    assertEquals(DType.UINT8, DType.promote(DType.BOOL, DType.UINT8));
    for (DType a : DType.values()) {
      for (DType b : DType.values()) {
        assertEquals(DType.promote(a, b), DType.promote(b, a), a + " and " + b + " commute");
      }
    }
  }

  @Test
  void unknownDtypeNameListsTheKnownOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DType.fromKerasName("float8"));
    assertTrue(
        e.getMessage().contains("'float8'") && e.getMessage().contains("bfloat16"), e.getMessage());
    assertEquals(DType.BFLOAT16, DType.fromKerasName("bfloat16"));
  }

  @Test
  void shapesPrintAsKerasDoes() {
    assertEquals("(None, 28, 28, 1)", Shape.of(Shape.UNKNOWN, 28, 28, 1).toString());
    assertEquals("(3,)", Shape.of(3).toString());
    assertEquals("()", Shape.scalar().toString());
  }

  @Test
  void shapeQueries() {
    Shape s = Shape.of(2, 3, 4);
    assertEquals(24, s.size());
    assertEquals(4, s.dim(-1));
    assertArrayEquals(new long[] {12, 4, 1}, s.strides());
    assertTrue(Shape.of(Shape.UNKNOWN, 3).isCompatibleWith(Shape.of(7, 3)));
    assertFalse(Shape.of(Shape.UNKNOWN, 3).isFullyKnown());
    assertThrows(IllegalStateException.class, () -> Shape.of(Shape.UNKNOWN, 3).size());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.dim(3));
    assertTrue(e.getMessage().contains("(2, 3, 4)"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Shape.of(2, -5));
  }

  @Test
  void hostTensorsConvertByDtype() {
    HostTensor h =
        HostTensor.fromDoubles(DType.FLOAT16, Shape.of(2), new double[] {1.0009765625, 70000});
    assertEquals(1.0009765625, h.getDouble(0));
    assertEquals(Double.POSITIVE_INFINITY, h.getDouble(1));
    HostTensor i = HostTensor.of(Shape.of(2), new long[] {Long.MAX_VALUE, -1});
    assertEquals(Long.MAX_VALUE, i.getLong(0), "int64 is exact");
    assertEquals(-1, i.cast(DType.INT32).getLong(1));
    assertEquals(255, i.cast(DType.UINT8).getLong(1), "narrowing wraps");
    HostTensor f = HostTensor.of(Shape.of(2, 2), new float[] {1, 2, 3, 4});
    assertEquals("HostTensor float32(2, 2) [1.0, 2.0, 3.0, 4.0]", f.toString());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> HostTensor.of(Shape.of(3), new float[2]));
    assertTrue(e.getMessage().contains("(3,)"), e.getMessage());
  }
}
