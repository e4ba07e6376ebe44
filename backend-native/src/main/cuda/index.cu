// Indexing and sources: gather, scatter-add, one-hot, iota. Index operands carry a runtime type
// code (0 int8, 1 uint8, 2 int32, 3 int64; kiln_common.cuh).
//
//   kiln_gather_<b1|b2|b4|b8>(int64 outer, int64 dim, int64 inner, int64 count,
//                             const T* params, const void* idx, int32 idxType, T* y)
//       params seen as [outer, dim, inner], idx as [count]: y[o, k, e] = params[o, clamp(idx[k],
//       0, dim - 1), e]. Indices are clamped as the IR says.
//   kiln_scatter_add_<t>(int64 outer, int64 dim, int64 inner, int64 count, const void* idx,
//                        int32 idxType, const T* updates, T* y)
//       y (already holding the target) gets updates[o, k, e] added at [o, idx[k], e]; indices
//       outside [0, dim) are dropped. Atomic adds: repeated indices accumulate (float sums in an
//       order that may vary from run to run). Every dtype; the narrow types add through a
//       compare-and-swap on their aligned 32-bit word, and bool's sum is "either is true".
//   kiln_one_hot_<t>(int64 n, int32 depth, const void* idx, int32 idxType, T* y)
//       y[i, k] = idx[i] == k ? 1 : 0 for k < depth; indices outside [0, depth) give zero rows.
//   kiln_iota_<t>(int64 n, int64 inner, int64 dim, T* y)
//       y[i] = (i / inner) % dim: the index along an axis of size dim with inner elements below.
#include "kiln_common.cuh"

#define KILN_GATHER(S, T)                                                                      \
  extern "C" __global__ void kiln_gather_##S(int64_t outer, int64_t dim, int64_t inner,        \
                                             int64_t count, const T* params, const void* idx,  \
                                             int idxType, T* y) {                              \
    int64_t total = outer * count * inner;                                                     \
    _Pragma("unroll 1") for (int64_t e = kiln_grid_start(); e < total; e += kiln_grid_step()) {                    \
      int64_t ei = e % inner, t = e / inner;                                                   \
      int64_t k = t % count, o = t / count;                                                    \
      long long j = kiln_load_index(idx, idxType, k);                                          \
      j = j < 0 ? 0 : j >= dim ? dim - 1 : j;                                                  \
      y[e] = params[(o * dim + j) * inner + ei];                                               \
    }                                                                                          \
  }
KILN_BYTE_SIZES(KILN_GATHER)

// Adds v to the narrow element at p through a CAS loop on the aligned word that holds it.
template <typename T>
__device__ __forceinline__ void kiln_atomic_add_narrow(T* p, typename KilnMath<T>::type v) {
  size_t addr = (size_t)p;
  unsigned int* word = (unsigned int*)(addr & ~(size_t)3);
  unsigned int shift = (unsigned int)(addr & 3) * 8;
  unsigned int mask = (sizeof(T) == 1 ? 0xFFu : 0xFFFFu) << shift;
  unsigned int old = *word, assumed;
  do {
    assumed = old;
    T cur;
    unsigned int bits = (assumed & mask) >> shift;
    if constexpr (sizeof(T) == 1) {
      cur = (T)(unsigned char)bits;
    } else {
      unsigned short s = (unsigned short)bits;
      memcpy(&cur, &s, 2);
    }
    T next;
    kiln_store(&next, 0, (typename KilnMath<T>::type)(kiln_load(&cur, 0) + v));
    unsigned int nb;
    if constexpr (sizeof(T) == 1) {
      nb = (unsigned char)next;
    } else {
      unsigned short s;
      memcpy(&s, &next, 2);
      nb = s;
    }
    old = atomicCAS(word, assumed, (assumed & ~mask) | (nb << shift));
  } while (assumed != old);
}

__device__ __forceinline__ void kiln_atomic_add(float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void kiln_atomic_add(double* p, double v) { atomicAdd(p, v); }
__device__ __forceinline__ void kiln_atomic_add(int32_t* p, long long v) { atomicAdd(p, (int32_t)v); }
__device__ __forceinline__ void kiln_atomic_add(int64_t* p, long long v) {
  atomicAdd((unsigned long long*)p, (unsigned long long)v);
}
__device__ __forceinline__ void kiln_atomic_add(f16_t* p, float v) { kiln_atomic_add_narrow(p, v); }
__device__ __forceinline__ void kiln_atomic_add(bf16_t* p, float v) { kiln_atomic_add_narrow(p, v); }
__device__ __forceinline__ void kiln_atomic_add(int8_t* p, long long v) { kiln_atomic_add_narrow(p, v); }
__device__ __forceinline__ void kiln_atomic_add(uint8_t* p, long long v) { kiln_atomic_add_narrow(p, v); }
__device__ __forceinline__ void kiln_atomic_add(b8_t* p, long long v) { kiln_atomic_add_narrow(p, v); }

#define KILN_SCATTER(S, T)                                                                     \
  extern "C" __global__ void kiln_scatter_add_##S(int64_t outer, int64_t dim, int64_t inner,   \
                                                  int64_t count, const void* idx, int idxType, \
                                                  const T* updates, T* y) {                    \
    int64_t total = outer * count * inner;                                                     \
    _Pragma("unroll 1") for (int64_t e = kiln_grid_start(); e < total; e += kiln_grid_step()) {                    \
      int64_t ei = e % inner, t = e / inner;                                                   \
      int64_t k = t % count, o = t / count;                                                    \
      long long j = kiln_load_index(idx, idxType, k);                                          \
      if (j >= 0 && j < dim) {                                                                 \
        kiln_atomic_add(&y[(o * dim + j) * inner + ei], kiln_load(updates, e));                \
      }                                                                                        \
    }                                                                                          \
  }
KILN_ALL_TYPES(KILN_SCATTER)

#define KILN_ONE_HOT(S, T)                                                                     \
  extern "C" __global__ void kiln_one_hot_##S(int64_t n, int depth, const void* idx,           \
                                              int idxType, T* y) {                             \
    int64_t total = n * depth;                                                                 \
    _Pragma("unroll 1") for (int64_t e = kiln_grid_start(); e < total; e += kiln_grid_step()) {                    \
      long long j = kiln_load_index(idx, idxType, e / depth);                                  \
      kiln_store_l<T>(y, e, j == e % depth ? 1 : 0);                                           \
    }                                                                                          \
  }
KILN_ALL_TYPES(KILN_ONE_HOT)

#define KILN_IOTA(S, T)                                                                        \
  extern "C" __global__ void kiln_iota_##S(int64_t n, int64_t inner, int64_t dim, T* y) {      \
    _Pragma("unroll 1") for (int64_t i = kiln_grid_start(); i < n; i += kiln_grid_step()) {                        \
      kiln_store_l<T>(y, i, (i / inner) % dim);                                                \
    }                                                                                          \
  }
KILN_NUMERIC_TYPES(KILN_IOTA)
