// Random numbers from Philox4x32-10, bit for bit the generator and recipe of the CPU device
// (dev.kiln.spi.random.Philox): seed [key, counter]; uniform and Bernoulli element i uses word
// i % 4 of block (i / 4, counter); normal element i uses words 2(i % 2), 2(i % 2) + 1 of block
// (i / 2, counter) through Box-Muller. The arithmetic after the words is in double, as on the CPU.
//
//   kiln_random_<t>(int32 dist, int64 n, double a, double b, const int64* seed, T* y)
//       dist KILN_DISTRIBUTION_UNIFORM: a + (b - a) * u on [a, b); NORMAL: a + b * z;
//       BERNOULLI: u < a ? 1 : 0. seed points at the int64[2] seed tensor on the device.
#include "kiln_common.cuh"

__device__ __forceinline__ void kiln_philox(unsigned long long key, unsigned long long counter,
                                            unsigned long long block, unsigned int* w) {
  unsigned int c0 = (unsigned int)block, c1 = (unsigned int)(block >> 32);
  unsigned int c2 = (unsigned int)counter, c3 = (unsigned int)(counter >> 32);
  unsigned int k0 = (unsigned int)key, k1 = (unsigned int)(key >> 32);
#pragma unroll
  for (int round = 0; round < 10; round++) {
    unsigned int hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
    unsigned int hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  w[0] = c0;
  w[1] = c1;
  w[2] = c2;
  w[3] = c3;
}

#define KILN_TWO_POW_M24 (1.0 / 16777216.0)

template <typename T>
__device__ __forceinline__ void kiln_random_body(int dist, int64_t n, double a, double b,
                                                 const long long* seed, T* y) {
  unsigned long long key = (unsigned long long)seed[0];
  unsigned long long counter = (unsigned long long)seed[1];
  // One thread per Philox block: 4 uniform or Bernoulli elements, or 2 normal ones.
  int per = dist == KILN_DISTRIBUTION_NORMAL ? 2 : 4;
  int64_t blocks = (n + per - 1) / per;
  _Pragma("unroll 1") for (int64_t blk = kiln_grid_start(); blk < blocks; blk += kiln_grid_step()) {
    unsigned int w[4];
    kiln_philox(key, counter, (unsigned long long)blk, w);
    for (int lane = 0; lane < per; lane++) {
      int64_t i = blk * per + lane;
      if (i >= n) break;
      double v;
      if (dist == KILN_DISTRIBUTION_NORMAL) {
        // u1 in (0, 1] keeps the logarithm finite.
        double u1 = ((double)(w[2 * lane] >> 8) + 1.0) * KILN_TWO_POW_M24;
        double u2 = (double)(w[2 * lane + 1] >> 8) * KILN_TWO_POW_M24;
        v = a + b * (sqrt(-2.0 * log(u1)) * cos(2.0 * 3.141592653589793 * u2));
      } else {
        double u = (double)(w[lane] >> 8) * KILN_TWO_POW_M24;
        v = dist == KILN_DISTRIBUTION_UNIFORM ? a + (b - a) * u : (u < a ? 1.0 : 0.0);
      }
      kiln_store_d<T>(y, i, v);
    }
  }
}

#define KILN_RANDOM(S, T)                                                                      \
  extern "C" __global__ void kiln_random_##S(int dist, int64_t n, double a, double b,          \
                                             const long long* seed, T* y) {                    \
    kiln_random_body<T>(dist, n, a, b, seed, y);                                               \
  }
KILN_ALL_TYPES(KILN_RANDOM)
