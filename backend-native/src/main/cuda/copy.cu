// Data movement: one strided copy serving transpose, broadcast, slice, strided slice, the pieces
// of concat and pad, and a fill. Instantiated per element size (b1 b2 b4 b8 = 1, 2, 4, 8 bytes).
//
//   kiln_copy_<bN>(int64 n, KilnIndexer ix, const T* x, int64 xOffset, T* y, int64 yOffset)
//       for each position i < n of ix's shape: y[yOffset + off1] = x[xOffset + off0], with
//       stride[0] for x and stride[1] for y (strides may be negative or 0); rank 0 copies
//       n contiguous elements.
//   kiln_fill_<bN>(int64 n, uint64 pattern, T* y)
//       y[i] = the low N bytes of pattern, for i < n.
#include "kiln_common.cuh"

#define KILN_COPY(S, T)                                                                          \
  extern "C" __global__ void kiln_copy_##S(int64_t n, KilnIndexer ix, const T* x, int64_t xOffset, \
                                           T* y, int64_t yOffset) {                             \
    _Pragma("unroll 1") for (int64_t i = kiln_grid_start(); i < n; i += kiln_grid_step()) {                          \
      int64_t off[2];                                                                            \
      kiln_offsets<2>(ix, i, off);                                                               \
      y[yOffset + off[1]] = x[xOffset + off[0]];                                                 \
    }                                                                                            \
  }                                                                                              \
  extern "C" __global__ void kiln_fill_##S(int64_t n, unsigned long long pattern, T* y) {        \
    T v = (T)pattern;                                                                            \
    _Pragma("unroll 1") for (int64_t i = kiln_grid_start(); i < n; i += kiln_grid_step()) {                          \
      y[i] = v;                                                                                  \
    }                                                                                            \
  }
KILN_BYTE_SIZES(KILN_COPY)
