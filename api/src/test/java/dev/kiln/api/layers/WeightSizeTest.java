package dev.kiln.api.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.api.KilnException;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.spi.DType;
import org.junit.jupiter.api.Test;

/** A weight too large to create fails naming the layer, the weight, its shape and the limit. */
class WeightSizeTest {

  @Test
  void aWeightLargerThanTheHeapNamesTheLayerTheShapeAndTheSetting() {
    // 46,000 x 46,000 float64: 15.8 GiB, more than this JVM's heap, fewer elements than 2^31.
    long bytes = 46_000L * 46_000L * 8;
    assumeTrue(Runtime.getRuntime().maxMemory() < bytes, "the heap could hold it");
    Dense d = new Dense(46_000);
    d.dtype(DType.FLOAT64);
    d.name("huge");
    KilnException e = assertThrows(KilnException.class, () -> d.apply(Input.of(46_000)));
    String m = e.getMessage();
    assertEquals(
        "layer \"huge\": out of Java heap creating weight 'huge/kernel' of shape (46000, 46000)"
            + " float64 (15.8 GiB); the heap holds at most ",
        m.substring(0, m.indexOf("most ") + 5));
    assertEquals(": raise it with -Xmx or make the layer smaller", m.substring(m.indexOf(':', 40)));
  }

  @Test
  void aWeightWithMoreElementsThanATensorHoldsIsRefusedBeforeAllocating() {
    Dense d = new Dense(100_000);
    d.name("wide");
    KilnException e = assertThrows(KilnException.class, () -> d.apply(Input.of(100_000)));
    assertEquals(
        "layer \"wide\": weight 'wide/kernel' of shape (100000, 100000) has 10000000000 elements,"
            + " more than the 2147483639 one tensor can hold; make the layer smaller",
        e.getMessage());
  }
}
