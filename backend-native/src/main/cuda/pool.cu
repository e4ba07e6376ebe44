// N-d max and average pooling, channels-last, and their backward ops, over a KilnPool geometry
// (kiln_common.cuh): x [batch, in..., channels], y [batch, out..., channels]. One thread per
// element written; the backward kernels gather from the windows that cover an input element, so
// no atomics and the result does not depend on scheduling.
//
//   kiln_pool_<t>(int32 fn, KilnPool g, int64 total, const T* x, T* y)
//       fn KILN_POOL_MAX: the window's maximum, NaN propagating; KILN_POOL_AVG: the mean over
//       the window's positions inside the input. total = batch * prod(out) * channels.
//   kiln_max_pool_backward_<t>(KilnPool g, int64 total, const T* x, const T* dy, T* dx)
//       each window's gradient goes to the first position of its maximum (a later position
//       takes it only when strictly greater). total = batch * prod(in) * channels.
//   kiln_avg_pool_backward_<t>(KilnPool g, int64 total, const T* dy, T* dx)
//       dy / (the window's count of inside positions) to each inside position.
#include "kiln_common.cuh"

// The range [first, last] of output positions along axis a whose window covers input pa.
__device__ __forceinline__ void kiln_cover(const KilnPool& g, int a, int pa, int* first, int* last) {
  int hi = pa + g.lo[a];
  int lo = hi - g.window[a] + 1;
  int f = lo <= 0 ? 0 : (lo + g.stride[a] - 1) / g.stride[a];
  int l = hi < 0 ? -1 : hi / g.stride[a];
  *first = f;
  *last = l < g.out[a] - 1 ? l : g.out[a] - 1;
}

// The flat input position of window slot s of output coordinates oc; false in the padding.
__device__ __forceinline__ bool kiln_window_input(const KilnPool& g, const int* oc, int64_t s,
                                                  int64_t* flat) {
  int wc[KILN_MAX_RANK];
  kiln_unravel(s, g.window, g.rank, wc);
  int64_t f = 0;
  bool inside = true;
  for (int a = 0; a < g.rank; a++) {
    int p = oc[a] * g.stride[a] - g.lo[a] + wc[a];
    inside &= p >= 0 && p < g.in[a];
    f = f * g.in[a] + p;
  }
  *flat = f;
  return inside;
}

// Walks the elements e < total of a [batch, dims..., channels] tensor: f(e, n, c, position,
// coordinates), the position flat over dims and its coordinates unravelled.
template <typename F>
__device__ __forceinline__ void kiln_pool_each(const KilnPool& g, int64_t total, const int32_t* dims,
                                               F f) {
  int64_t positions = kiln_prod(dims, g.rank);
  _Pragma("unroll 1") for (int64_t e = kiln_grid_start(); e < total; e += kiln_grid_step()) {
    int64_t c = e % g.channels, t = e / g.channels;
    int64_t pos = t % positions, n = t / positions;
    int coords[KILN_MAX_RANK];
    kiln_unravel(pos, dims, g.rank, coords);
    f(e, n, c, pos, coords);
  }
}

template <typename T>
__device__ __forceinline__ void kiln_pool_body(int fn, const KilnPool& g, int64_t total, const T* x, T* y) {
  typedef typename KilnMath<T>::type A;
  int64_t inPos = kiln_prod(g.in, g.rank), slots = kiln_prod(g.window, g.rank);
  kiln_pool_each(g, total, g.out, [&](int64_t e, int64_t n, int64_t c, int64_t o, const int* oc) {
    A acc = fn == KILN_POOL_MAX ? (A)-INFINITY : (A)0;
    int count = 0;
    for (int64_t s = 0; s < slots; s++) {
      int64_t flat;
      if (kiln_window_input(g, oc, s, &flat)) {
        A v = kiln_load(x, (n * inPos + flat) * g.channels + c);
        acc = fn == KILN_POOL_MAX ? ((v > acc || v != v) ? v : acc) : acc + v;
        count++;
      }
    }
    kiln_store(y, e, fn == KILN_POOL_MAX ? acc : acc / (A)count);
  });
}

// Walks the output positions whose windows cover input coordinates pc; calls f(o, oc).
template <typename F>
__device__ __forceinline__ void kiln_covering(const KilnPool& g, const int* pc, F f) {
  int first[KILN_MAX_RANK], last[KILN_MAX_RANK], oc[KILN_MAX_RANK];
  int64_t boxes = 1;
  for (int a = 0; a < g.rank; a++) {
    kiln_cover(g, a, pc[a], &first[a], &last[a]);
    int len = last[a] - first[a] + 1;
    boxes *= len > 0 ? len : 0;
  }
  for (int64_t b = 0; b < boxes; b++) {
    int64_t rest = b, o = 0;
    for (int a = g.rank - 1; a >= 0; a--) {
      int len = last[a] - first[a] + 1;
      oc[a] = first[a] + (int)(rest % len);
      rest /= len;
    }
    for (int a = 0; a < g.rank; a++) o = o * g.out[a] + oc[a];
    f(o, oc);
  }
}

template <typename T>
__device__ __forceinline__ void kiln_max_pool_backward_body(const KilnPool& g, int64_t total, const T* x,
                                                            const T* dy, T* dx) {
  typedef typename KilnMath<T>::type A;
  int64_t outPos = kiln_prod(g.out, g.rank), inPos = kiln_prod(g.in, g.rank);
  int64_t slots = kiln_prod(g.window, g.rank);
  kiln_pool_each(g, total, g.in, [&](int64_t e, int64_t n, int64_t c, int64_t p, const int* pc) {
    A acc = 0;
    kiln_covering(g, pc, [&](int64_t o, const int* oc) {
      int64_t best = -1;
      A bv = 0;
      for (int64_t s = 0; s < slots; s++) {
        int64_t flat;
        if (kiln_window_input(g, oc, s, &flat)) {
          A v = kiln_load(x, (n * inPos + flat) * g.channels + c);
          if (best < 0 || v > bv) {
            best = flat;
            bv = v;
          }
        }
      }
      if (best == p) acc += kiln_load(dy, (n * outPos + o) * g.channels + c);
    });
    kiln_store(dx, e, acc);
  });
}

template <typename T>
__device__ __forceinline__ void kiln_avg_pool_backward_body(const KilnPool& g, int64_t total, const T* dy,
                                                            T* dx) {
  typedef typename KilnMath<T>::type A;
  int64_t outPos = kiln_prod(g.out, g.rank);
  kiln_pool_each(g, total, g.in, [&](int64_t e, int64_t n, int64_t c, int64_t p, const int* pc) {
    A acc = 0;
    kiln_covering(g, pc, [&](int64_t o, const int* oc) {
      // Inside-ness is a product over axes, so the window's count is a product of per-axis counts.
      int64_t count = 1;
      for (int a = 0; a < g.rank; a++) {
        int start = oc[a] * g.stride[a] - g.lo[a];
        int from = start < 0 ? 0 : start;
        int to = start + g.window[a] < g.in[a] ? start + g.window[a] : g.in[a];
        count *= to - from;
      }
      acc += kiln_load(dy, (n * outPos + o) * g.channels + c) / (A)count;
    });
    kiln_store(dx, e, acc);
  });
}

#define KILN_POOL(S, T)                                                                        \
  extern "C" __global__ void kiln_pool_##S(int fn, KilnPool g, int64_t total, const T* x, T* y) { \
    kiln_pool_body<T>(fn, g, total, x, y);                                                     \
  }                                                                                            \
  extern "C" __global__ void kiln_max_pool_backward_##S(KilnPool g, int64_t total, const T* x, \
                                                        const T* dy, T* dx) {                  \
    kiln_max_pool_backward_body<T>(g, total, x, dy, dx);                                       \
  }                                                                                            \
  extern "C" __global__ void kiln_avg_pool_backward_##S(KilnPool g, int64_t total, const T* dy, \
                                                        T* dx) {                               \
    kiln_avg_pool_backward_body<T>(g, total, dy, dx);                                          \
  }
KILN_FLOAT_TYPES(KILN_POOL)
