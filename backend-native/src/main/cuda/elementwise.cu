// Elementwise kernels: unary, binary, compare, select and cast, with broadcasting through a
// KilnIndexer (see kiln_common.cuh). Grid-stride loops: any grid size is correct.
//
//   kiln_unary_<t>(int32 fn, int64 n, const T* x, T* y)
//       y[i] = fn(x[i]) for i < n; fn is a KilnUnaryFn code. Float types compute in float
//       (double for f64); integers in int64 and wrap on store; b8 only LOGICAL_NOT.
//   kiln_binary_<t>(int32 fn, int64 n, KilnIndexer ix, const T* a, const T* b, T* y)
//       y[i] = fn(a[off0], b[off1]); ix walks y's shape, stride[0] for a, stride[1] for b.
//   kiln_compare_<t>(int32 fn, int64 n, KilnIndexer ix, const T* a, const T* b, b8* y)
//   kiln_select_<bN>(int64 n, KilnIndexer ix, const b8* c, const T* a, const T* b, T* y)
//       y[i] = c[off0] ? a[off1] : b[off2]; instantiated per element size.
//   kiln_cast_<from>_<to>(int64 n, const F* x, T* y)
//       the IR's cast: through double when either side is a float, else through int64.
#include "kiln_common.cuh"

template <typename M> __device__ __forceinline__ M kiln_unary_fp(int fn, M v) {
  switch (fn) {
    case KILN_UNARY_NEG: return -v;
    case KILN_UNARY_ABS: return fabs(v);
    case KILN_UNARY_SIGN: return v > 0 ? (M)1 : v < 0 ? (M)-1 : v;
    case KILN_UNARY_EXP: return exp(v);
    case KILN_UNARY_EXPM1: return expm1(v);
    case KILN_UNARY_LOG: return log(v);
    case KILN_UNARY_LOG1P: return log1p(v);
    case KILN_UNARY_SQRT: return sqrt(v);
    case KILN_UNARY_RSQRT: return (M)1 / sqrt(v);
    case KILN_UNARY_SQUARE: return v * v;
    case KILN_UNARY_RECIPROCAL: return (M)1 / v;
    case KILN_UNARY_SIN: return sin(v);
    case KILN_UNARY_COS: return cos(v);
    case KILN_UNARY_TANH: return tanh(v);
    case KILN_UNARY_SIGMOID: return (M)1 / ((M)1 + exp(-v));
    case KILN_UNARY_ERF: return erf(v);
    case KILN_UNARY_FLOOR: return floor(v);
    case KILN_UNARY_CEIL: return ceil(v);
    case KILN_UNARY_ROUND: return rint(v);
    default: return v != 0 ? (M)0 : (M)1;
  }
}

__device__ __forceinline__ long long kiln_unary_int(int fn, long long v) {
  unsigned long long u = (unsigned long long)v;
  switch (fn) {
    case KILN_UNARY_NEG: return (long long)(0ull - u);
    case KILN_UNARY_ABS: return v < 0 ? (long long)(0ull - u) : v;
    case KILN_UNARY_SIGN: return v > 0 ? 1 : v < 0 ? -1 : 0;
    case KILN_UNARY_SQUARE: return (long long)(u * u);
    default: return v != 0 ? 0 : 1;
  }
}

template <typename M> __device__ __forceinline__ M kiln_binary_fp(int fn, M p, M q) {
  switch (fn) {
    case KILN_BINARY_ADD: return p + q;
    case KILN_BINARY_SUB: return p - q;
    case KILN_BINARY_MUL: return p * q;
    case KILN_BINARY_DIV: return p / q;
    case KILN_BINARY_POW: return pow(p, q);
    case KILN_BINARY_MAX: return kiln_fmax(p, q);
    case KILN_BINARY_MIN: return kiln_fmin(p, q);
    default: {
      // Python's remainder, in double so that float32 rounds once as on the CPU device.
      double dp = (double)p, dq = (double)q;
      return (M)(dp - dq * floor(dp / dq));
    }
  }
}

__device__ __forceinline__ long long kiln_binary_int(int fn, long long p, long long q) {
  unsigned long long up = (unsigned long long)p, uq = (unsigned long long)q;
  switch (fn) {
    case KILN_BINARY_ADD: return (long long)(up + uq);
    case KILN_BINARY_SUB: return (long long)(up - uq);
    case KILN_BINARY_MUL: return (long long)(up * uq);
    case KILN_BINARY_DIV: {
      if (q == 0) return 0;
      // The one overflowing quotient wraps, as Java's floorDiv.
      if (q == -1) return (long long)(0ull - up);
      long long d = p / q;
      return (p % q != 0 && ((p < 0) != (q < 0))) ? d - 1 : d;
    }
    case KILN_BINARY_MOD: {
      if (q == 0 || q == -1) return 0;
      long long r = p % q;
      return (r != 0 && ((r < 0) != (q < 0))) ? r + q : r;
    }
    case KILN_BINARY_MAX: return p > q ? p : q;
    case KILN_BINARY_MIN: return p < q ? p : q;
    case KILN_BINARY_LOGICAL_AND: return (p != 0 && q != 0) ? 1 : 0;
    case KILN_BINARY_LOGICAL_OR: return (p != 0 || q != 0) ? 1 : 0;
    default: return ((p != 0) != (q != 0)) ? 1 : 0;
  }
}

template <typename T> __device__ __forceinline__ void kiln_unary_body(int fn, int64_t n, const T* x, T* y) {
  typedef typename KilnMath<T>::type M;
  _Pragma("unroll 1") for (int64_t i = kiln_grid_start(); i < n; i += kiln_grid_step()) {
    M v = kiln_load(x, i);
    if constexpr (KilnMath<T>::fp) {
      kiln_store(y, i, (M)kiln_unary_fp<M>(fn, v));
    } else {
      kiln_store(y, i, (M)kiln_unary_int(fn, (long long)v));
    }
  }
}

// Walks y's positions with the two operands' values there, in their arithmetic type.
template <typename T, typename F>
__device__ __forceinline__ void kiln_pairs(int64_t n, const KilnIndexer& ix, const T* a, const T* b,
                                           F f) {
  _Pragma("unroll 1") for (int64_t i = kiln_grid_start(); i < n; i += kiln_grid_step()) {
    int64_t off[2];
    kiln_offsets<2>(ix, i, off);
    f(i, kiln_load(a, off[0]), kiln_load(b, off[1]));
  }
}

template <typename T>
__device__ __forceinline__ void kiln_binary_body(int fn, int64_t n, const KilnIndexer& ix, const T* a,
                                                 const T* b, T* y) {
  typedef typename KilnMath<T>::type M;
  kiln_pairs(n, ix, a, b, [&](int64_t i, M p, M q) {
    if constexpr (KilnMath<T>::fp) {
      kiln_store(y, i, (M)kiln_binary_fp<M>(fn, p, q));
    } else {
      kiln_store(y, i, (M)kiln_binary_int(fn, (long long)p, (long long)q));
    }
  });
}

template <typename T>
__device__ __forceinline__ void kiln_compare_body(int fn, int64_t n, const KilnIndexer& ix, const T* a,
                                                  const T* b, b8_t* y) {
  typedef typename KilnMath<T>::type M;
  // IEEE comparisons give the CPU device's rules: NaN is unequal to all, -0 equals +0.
  kiln_pairs(n, ix, a, b, [&](int64_t i, M p, M q) {
    bool r;
    switch (fn) {
      case KILN_COMPARE_EQUAL: r = p == q; break;
      case KILN_COMPARE_NOT_EQUAL: r = !(p == q); break;
      case KILN_COMPARE_LESS: r = p < q; break;
      case KILN_COMPARE_LESS_EQUAL: r = p <= q; break;
      case KILN_COMPARE_GREATER: r = p > q; break;
      default: r = p >= q; break;
    }
    y[i] = r;
  });
}

#define KILN_ELEMENTWISE(S, T)                                                                  \
  extern "C" __global__ void kiln_unary_##S(int fn, int64_t n, const T* x, T* y) {              \
    kiln_unary_body<T>(fn, n, x, y);                                                            \
  }                                                                                             \
  extern "C" __global__ void kiln_binary_##S(int fn, int64_t n, KilnIndexer ix, const T* a,     \
                                             const T* b, T* y) {                                \
    kiln_binary_body<T>(fn, n, ix, a, b, y);                                                    \
  }                                                                                             \
  extern "C" __global__ void kiln_compare_##S(int fn, int64_t n, KilnIndexer ix, const T* a,    \
                                              const T* b, b8_t* y) {                            \
    kiln_compare_body<T>(fn, n, ix, a, b, y);                                                   \
  }
KILN_ALL_TYPES(KILN_ELEMENTWISE)

#define KILN_SELECT(S, T)                                                                       \
  extern "C" __global__ void kiln_select_##S(int64_t n, KilnIndexer ix, const b8_t* c,          \
                                             const T* a, const T* b, T* y) {                    \
    _Pragma("unroll 1") for (int64_t i = kiln_grid_start(); i < n; i += kiln_grid_step()) {                         \
      int64_t off[3];                                                                           \
      kiln_offsets<3>(ix, i, off);                                                              \
      y[i] = c[off[0]] != 0 ? a[off[1]] : b[off[2]];                                            \
    }                                                                                           \
  }
KILN_BYTE_SIZES(KILN_SELECT)

template <typename F, typename T> __device__ __forceinline__ void kiln_cast_body(int64_t n, const F* x, T* y) {
  _Pragma("unroll 1") for (int64_t i = kiln_grid_start(); i < n; i += kiln_grid_step()) {
    if constexpr (KilnMath<F>::fp || KilnMath<T>::fp) {
      kiln_store_d<T>(y, i, kiln_load_d<F>(x, i));
    } else {
      kiln_store_l<T>(y, i, kiln_load_l<F>(x, i));
    }
  }
}

#define KILN_CAST_TO(SF, F, ST, T)                                                              \
  extern "C" __global__ void kiln_cast_##SF##_##ST(int64_t n, const F* x, T* y) {               \
    kiln_cast_body<F, T>(n, x, y);                                                              \
  }
#define KILN_CAST_FROM(SF, F)                                                                   \
  KILN_CAST_TO(SF, F, f32, float) KILN_CAST_TO(SF, F, f64, double)                              \
  KILN_CAST_TO(SF, F, f16, f16_t) KILN_CAST_TO(SF, F, bf16, bf16_t)                             \
  KILN_CAST_TO(SF, F, i8, int8_t) KILN_CAST_TO(SF, F, u8, uint8_t)                              \
  KILN_CAST_TO(SF, F, i32, int32_t) KILN_CAST_TO(SF, F, i64, int64_t)                           \
  KILN_CAST_TO(SF, F, b8, b8_t)
KILN_ALL_TYPES(KILN_CAST_FROM)
