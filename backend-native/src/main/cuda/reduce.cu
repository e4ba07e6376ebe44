// Reductions over arbitrary axes, arg max/min along one axis, and softmax/log-softmax rows.
// One block per output element (grid-stride over outputs), threads striding over the reduced
// elements, then a block tree reduction with warp shuffles. blockDim.x: a multiple of 32, <= 1024.
//
//   kiln_reduce_<t>(int32 fn, int64 outCount, int64 reduceCount, KilnIndexer kept,
//                   KilnIndexer reduced, const T* x, T* y)
//       y[o] = fn over the reduced elements of x; kept walks the output positions (dims = the
//       kept axes, stride[0] = x's strides on them), reduced walks one output's elements (dims =
//       the reduced axes, stride[0] = x's strides on them). fn is a KilnReduceFn code. Floats
//       accumulate in float (double for f64), MAX/MIN propagate NaN; integers in int64, wrapping.
//   kiln_argreduce_<t>_<i32|i64>(int32 fn, int64 outer, int64 len, int64 inner, const T* x, I* y)
//       x seen as [outer, len, inner]; y[o * inner + j] = the first index of the max (ARGMAX = 0)
//       or min (ARGMIN = 1) along len, the first NaN winning over every number.
//   kiln_softmax_<t>(int32 log, int64 outer, int64 len, int64 inner, const T* x, T* y)
//       softmax (log = 0) or log-softmax (log = 1) along len of [outer, len, inner]; y may be x.
#include "kiln_common.cuh"

template <typename A> struct KilnAcc;
template <> struct KilnAcc<float> { typedef float type; };
template <> struct KilnAcc<double> { typedef double type; };
template <> struct KilnAcc<long long> { typedef long long type; };

template <typename A> __device__ __forceinline__ A kiln_reduce_init(int fn) {
  switch (fn) {
    case KILN_REDUCE_PROD: return (A)1;
    case KILN_REDUCE_MAX: return (A)-INFINITY;
    case KILN_REDUCE_MIN: return (A)INFINITY;
    default: return (A)0;
  }
}
template <> __device__ __forceinline__ long long kiln_reduce_init<long long>(int fn) {
  switch (fn) {
    case KILN_REDUCE_PROD: return 1;
    case KILN_REDUCE_MAX: return (long long)0x8000000000000000ull;
    case KILN_REDUCE_MIN: return 0x7fffffffffffffffll;
    default: return 0;
  }
}

template <typename A> __device__ __forceinline__ A kiln_reduce_step(int fn, A acc, A v) {
  switch (fn) {
    case KILN_REDUCE_PROD: return acc * v;
    case KILN_REDUCE_MAX: return (v != v || v > acc) ? v : acc;
    case KILN_REDUCE_MIN: return (v != v || v < acc) ? v : acc;
    default: return acc + v;
  }
}
template <> __device__ __forceinline__ long long kiln_reduce_step<long long>(int fn, long long acc, long long v) {
  switch (fn) {
    case KILN_REDUCE_PROD: return (long long)((unsigned long long)acc * (unsigned long long)v);
    case KILN_REDUCE_MAX: return v > acc ? v : acc;
    case KILN_REDUCE_MIN: return v < acc ? v : acc;
    default: return (long long)((unsigned long long)acc + (unsigned long long)v);
  }
}

template <typename A> struct KilnReduceOp {
  int fn;
  __device__ A operator()(A a, A b) const { return kiln_reduce_step<A>(fn, a, b); }
};

template <typename T>
__device__ __forceinline__ void kiln_reduce_body(int fn, int64_t outCount, int64_t reduceCount,
                                                 const KilnIndexer& kept, const KilnIndexer& reduced,
                                                 const T* x, T* y) {
  typedef typename KilnMath<T>::type A;
  __shared__ A scratch[32];
  KilnReduceOp<A> op{fn};
  for (int64_t o = blockIdx.x; o < outCount; o += gridDim.x) {
    int64_t base;
    kiln_offsets<1>(kept, o, &base);
    A acc = kiln_reduce_init<A>(fn);
    for (int64_t r = threadIdx.x; r < reduceCount; r += blockDim.x) {
      int64_t off;
      kiln_offsets<1>(reduced, r, &off);
      acc = op(acc, kiln_load(x, base + off));
    }
    acc = kiln_block_reduce(acc, op, scratch);
    if (threadIdx.x == 0) {
      if constexpr (KilnMath<T>::fp) {
        if (fn == KILN_REDUCE_MEAN) acc = acc / (A)reduceCount;
      }
      kiln_store(y, o, acc);
    }
  }
}

#define KILN_REDUCE(S, T)                                                                      \
  extern "C" __global__ void kiln_reduce_##S(int fn, int64_t outCount, int64_t reduceCount,     \
                                             KilnIndexer kept, KilnIndexer reduced, const T* x, \
                                             T* y) {                                           \
    kiln_reduce_body<T>(fn, outCount, reduceCount, kept, reduced, x, y);                      \
  }
KILN_NUMERIC_TYPES(KILN_REDUCE)

// Arg max/min: values compare in double (as the CPU device does, also for int64).
struct KilnArgPair {
  double v;
  long long i;
};

__device__ __forceinline__ KilnArgPair kiln_arg_pick(bool max, KilnArgPair a, KilnArgPair b) {
  bool an = a.v != a.v, bn = b.v != b.v;
  if (an || bn) {
    if (an && bn) return a.i <= b.i ? a : b;
    return an ? a : b;
  }
  if (a.v == b.v) return a.i <= b.i ? a : b;
  return (max ? a.v > b.v : a.v < b.v) ? a : b;
}

template <typename T, typename I>
__device__ __forceinline__ void kiln_argreduce_body(int fn, int64_t outer, int64_t len, int64_t inner,
                                                    const T* x, I* y) {
  __shared__ double sv[32];
  __shared__ long long si[32];
  bool max = fn == KILN_ARG_ARGMAX;
  const unsigned full = 0xffffffffu;
  for (int64_t out = blockIdx.x; out < outer * inner; out += gridDim.x) {
    int64_t o = out / inner, j = out % inner;
    int64_t base = o * len * inner + j;
    KilnArgPair best{0.0, 0x7fffffffffffffffll};
    bool have = false;
    for (int64_t k = threadIdx.x; k < len; k += blockDim.x) {
      KilnArgPair p{kiln_load_d(x, base + k * inner), k};
      best = have ? kiln_arg_pick(max, best, p) : p;
      have = true;
    }
    if (!have) {
      // An index past every real one loses every tie; a NaN value would still win.
      best.v = max ? -INFINITY : INFINITY;
    }
    for (int d = 16; d > 0; d >>= 1) {
      KilnArgPair q{__shfl_xor_sync(full, best.v, d), __shfl_xor_sync(full, best.i, d)};
      best = kiln_arg_pick(max, best, q);
    }
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    __syncthreads();
    if (lane == 0) {
      sv[warp] = best.v;
      si[warp] = best.i;
    }
    __syncthreads();
    if (warp == 0) {
      KilnArgPair p{sv[lane < warps ? lane : 0], si[lane < warps ? lane : 0]};
      for (int d = 16; d > 0; d >>= 1) {
        KilnArgPair q{__shfl_xor_sync(full, p.v, d), __shfl_xor_sync(full, p.i, d)};
        p = kiln_arg_pick(max, p, q);
      }
      if (lane == 0) y[out] = (I)(p.i < len ? p.i : 0);
    }
  }
}

#define KILN_ARGREDUCE(S, T)                                                                   \
  extern "C" __global__ void kiln_argreduce_##S##_i32(int fn, int64_t outer, int64_t len,      \
                                                      int64_t inner, const T* x, int32_t* y) { \
    kiln_argreduce_body<T, int32_t>(fn, outer, len, inner, x, y);                             \
  }                                                                                            \
  extern "C" __global__ void kiln_argreduce_##S##_i64(int fn, int64_t outer, int64_t len,      \
                                                      int64_t inner, const T* x, int64_t* y) { \
    kiln_argreduce_body<T, int64_t>(fn, outer, len, inner, x, y);                             \
  }
KILN_NUMERIC_TYPES(KILN_ARGREDUCE)

template <typename A> struct KilnMaxOp {
  __device__ A operator()(A a, A b) const { return kiln_fmax(a, b); }
};
template <typename A> struct KilnSumOp {
  __device__ A operator()(A a, A b) const { return a + b; }
};

template <typename T>
__device__ __forceinline__ void kiln_softmax_body(int logOut, int64_t outer, int64_t len, int64_t inner,
                                                  const T* x, T* y) {
  typedef typename KilnMath<T>::type A;
  __shared__ A scratch[32];
  for (int64_t row = blockIdx.x; row < outer * inner; row += gridDim.x) {
    int64_t base = (row / inner) * len * inner + row % inner;
    A mx = (A)-INFINITY;
    for (int64_t k = threadIdx.x; k < len; k += blockDim.x) {
      mx = kiln_fmax(mx, kiln_load(x, base + k * inner));
    }
    mx = kiln_block_reduce(mx, KilnMaxOp<A>(), scratch);
    A sum = 0;
    for (int64_t k = threadIdx.x; k < len; k += blockDim.x) {
      sum += exp(kiln_load(x, base + k * inner) - mx);
    }
    sum = kiln_block_reduce(sum, KilnSumOp<A>(), scratch);
    A lse = log(sum);
    for (int64_t k = threadIdx.x; k < len; k += blockDim.x) {
      A v = kiln_load(x, base + k * inner) - mx;
      kiln_store(y, base + k * inner, logOut ? v - lse : exp(v) / sum);
    }
    __syncthreads();
  }
}

#define KILN_SOFTMAX(S, T)                                                                     \
  extern "C" __global__ void kiln_softmax_##S(int logOut, int64_t outer, int64_t len,          \
                                              int64_t inner, const T* x, T* y) {               \
    kiln_softmax_body<T>(logOut, outer, len, inner, x, y);                                    \
  }
KILN_FLOAT_TYPES(KILN_SOFTMAX)
