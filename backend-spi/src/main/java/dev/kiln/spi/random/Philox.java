package dev.kiln.spi.random;

/**
 * The Philox4x32-10 counter-based generator (Salmon et al., SC'11) and the exact recipe by which
 * Kiln's random ops turn its output into numbers, so every backend and device draws the same values
 * from the same seed.
 *
 * <p>A seed is two int64 values {@code [key, counter]}. Element {@code i} of a uniform or Bernoulli
 * tensor takes 32-bit word {@code i % 4} of the block at counter {@code (i / 4, counter)}; element
 * {@code i} of a normal tensor takes words {@code 2(i % 2)} and {@code 2(i % 2) + 1} of the block
 * at {@code (i / 2, counter)} through Box-Muller.
 */
public final class Philox {
  private static final int M0 = 0xD2511F53;
  private static final int M1 = 0xCD9E8D57;
  private static final int W0 = 0x9E3779B9;
  private static final int W1 = 0xBB67AE85;
  private static final double TWO_POW_M24 = 1.0 / (1 << 24);

  private Philox() {}

  /**
   * The four 32-bit words of one block.
   *
   * @param key the seed's key
   * @param counter the seed's counter (the high 64 bits of the 128-bit block counter)
   * @param block the block index (the low 64 bits)
   */
  public static int[] block(long key, long counter, long block) {
    int c0 = (int) block;
    int c1 = (int) (block >>> 32);
    int c2 = (int) counter;
    int c3 = (int) (counter >>> 32);
    int k0 = (int) key;
    int k1 = (int) (key >>> 32);
    for (int round = 0; round < 10; round++) {
      long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
      long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
      int hi0 = (int) (p0 >>> 32);
      int lo0 = (int) p0;
      int hi1 = (int) (p1 >>> 32);
      int lo1 = (int) p1;
      c0 = hi1 ^ c1 ^ k0;
      c1 = lo1;
      c2 = hi0 ^ c3 ^ k1;
      c3 = lo0;
      k0 += W0;
      k1 += W1;
    }
    return new int[] {c0, c1, c2, c3};
  }

  /** A word as a uniform number in {@code [0, 1)} with 24 random bits (exact in float32). */
  public static double unit(int word) {
    return (word >>> 8) * TWO_POW_M24;
  }

  /** Element {@code i} of a uniform {@code [0, 1)} tensor. */
  public static double uniform(long key, long counter, long i) {
    return unit(block(key, counter, i >>> 2)[(int) (i & 3)]);
  }

  /** Element {@code i} of a standard normal tensor. */
  public static double normal(long key, long counter, long i) {
    int[] w = block(key, counter, i >>> 1);
    int lane = (int) (i & 1) * 2;
    // u1 in (0, 1] keeps the logarithm finite.
    double u1 = ((w[lane] >>> 8) + 1) * TWO_POW_M24;
    double u2 = unit(w[lane + 1]);
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
