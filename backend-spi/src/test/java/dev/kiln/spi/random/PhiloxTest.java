package dev.kiln.spi.random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Known-answer vectors of Philox4x32-10 from the Random123 distribution (kat_vectors). */
class PhiloxTest {
  @Test
  void zeroCounterAndKey() {
    assertArrayEquals(
        new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, Philox.block(0, 0, 0));
  }

  @Test
  void allOnes() {
    assertArrayEquals(
        new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}, Philox.block(-1L, -1L, -1L));
  }

  @Test
  void piDigits() {
    // counter = (243f6a88, 85a308d3, 13198a2e, 03707344), key = (a4093822, 299f31d0)
    long block = 0x85a308d3_243f6a88L;
    long counter = 0x03707344_13198a2eL;
    long key = 0x299f31d0_a4093822L;
    assertArrayEquals(
        new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
        Philox.block(key, counter, block));
  }

  @Test
  void uniformAndNormalHaveTheRightMoments() {
    int n = 200_000;
    double sum = 0;
    double sumSq = 0;
    double nsum = 0;
    double nsumSq = 0;
    for (int i = 0; i < n; i++) {
      double u = Philox.uniform(7, 3, i);
      assertTrue(u >= 0 && u < 1);
      sum += u;
      sumSq += u * u;
      double z = Philox.normal(7, 3, i);
      nsum += z;
      nsumSq += z * z;
    }
    // Standard errors: 0.29/sqrt(n) = 6.5e-4 for the uniform mean, 1/sqrt(n) = 2.2e-3 for the
    // normal.
    assertEquals(0.5, sum / n, 4e-3);
    assertEquals(1.0 / 12, sumSq / n - 0.25, 2e-3);
    assertEquals(0, nsum / n, 1e-2);
    assertEquals(1, nsumSq / n, 1e-2);
  }
}
