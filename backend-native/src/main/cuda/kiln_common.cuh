// Shared definitions of Kiln's CUDA kernels: the by-value structs of the launch ABI, element
// loads and stores with the IR's conversion rules, and the dtype instantiation macros.
//
// ABI structs (passed by value; the Java side writes them little-endian, field by field):
//
//   KilnIndexer (8-byte aligned, 328 bytes): walks a shape of `rank` <= 8 axes in row-major order
//     and gives, for up to 4 operands, the element offset sum(coord[a] * stride[k][a]).
//       int32 rank; int32 unused; int64 dims[8]; int64 stride[4][8];
//     rank 0 means "every operand is contiguous and has the iteration's shape": offset = index.
//
//   KilnConv (4-byte aligned, 220 bytes): channels-last N-d convolution geometry, rank <= 8.
//       int32 rank, batch, cin, cout, groups, cinG, coutG;
//       int32 in[8], out[8], k[8], stride[8], dil[8], lo[8];
//     `batch` is the number of images the launch covers (a chunk of the whole batch).
//
//   KilnPool (4-byte aligned, 176 bytes): channels-last N-d pooling geometry, rank <= 8.
//       int32 rank, batch, channels; int32 unused;
//       int32 in[8], out[8], window[8], stride[8], lo[8];
//
// Dtype suffixes: f32 f64 f16 bf16 i8 u8 i32 i64 b8 (bool, one byte 0/1). Kernels that only move
// bytes are instantiated per element size: b1 b2 b4 b8 (here b8 means 8 bytes, not bool).
// Index operands (gather, scatter-add, one-hot) take a runtime index-type code:
//   0 = int8, 1 = uint8, 2 = int32, 3 = int64.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#define KILN_MAX_RANK 8

struct __align__(8) KilnIndexer {
  int32_t rank;
  int32_t unused;
  int64_t dims[KILN_MAX_RANK];
  int64_t stride[4][KILN_MAX_RANK];
};

struct KilnConv {
  int32_t rank, batch, cin, cout, groups, cinG, coutG;
  int32_t in[KILN_MAX_RANK], out[KILN_MAX_RANK], k[KILN_MAX_RANK];
  int32_t stride[KILN_MAX_RANK], dil[KILN_MAX_RANK], lo[KILN_MAX_RANK];
};

struct KilnPool {
  int32_t rank, batch, channels, unused;
  int32_t in[KILN_MAX_RANK], out[KILN_MAX_RANK], window[KILN_MAX_RANK];
  int32_t stride[KILN_MAX_RANK], lo[KILN_MAX_RANK];
};

typedef __nv_bfloat16 bf16_t;
typedef __half f16_t;
typedef bool b8_t;

// The offsets of `operands` operands at linear position i of the indexer's shape.
template <int OPERANDS>
__device__ __forceinline__ void kiln_offsets(const KilnIndexer& ix, int64_t i, int64_t* off) {
#pragma unroll
  for (int k = 0; k < OPERANDS; k++) {
    off[k] = ix.rank == 0 ? i : 0;
  }
  for (int a = ix.rank - 1; a >= 0 && i > 0; a--) {
    int64_t d = ix.dims[a];
    int64_t c = i % d;
    i /= d;
#pragma unroll
    for (int k = 0; k < OPERANDS; k++) {
      off[k] += c * ix.stride[k][a];
    }
  }
}

// The product of rank sizes, and the coordinates of a flat index in them (row-major).
__device__ __forceinline__ int64_t kiln_prod(const int32_t* d, int rank) {
  int64_t p = 1;
  for (int a = 0; a < rank; a++) p *= d[a];
  return p;
}
__device__ __forceinline__ void kiln_unravel(int64_t flat, const int32_t* dims, int rank, int* c) {
  for (int a = rank - 1; a >= 0; a--) {
    c[a] = (int)(flat % dims[a]);
    flat /= dims[a];
  }
}

// Grid-stride loops carry `unroll 1`: launches usually give each element its own thread, so
// unrolled copies of the loop body would only grow the PTX.
__device__ __forceinline__ int64_t kiln_grid_start() {
  return (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
}

__device__ __forceinline__ int64_t kiln_grid_step() { return (int64_t)gridDim.x * blockDim.x; }

// ------------------------------------------------------------------ element access
// The type arithmetic runs in: float for f32/f16/bf16, double for f64, int64 for integers.
template <typename T> struct KilnMath;
template <> struct KilnMath<float> { typedef float type; static const bool fp = true; };
template <> struct KilnMath<double> { typedef double type; static const bool fp = true; };
template <> struct KilnMath<f16_t> { typedef float type; static const bool fp = true; };
template <> struct KilnMath<bf16_t> { typedef float type; static const bool fp = true; };
template <> struct KilnMath<int8_t> { typedef long long type; static const bool fp = false; };
template <> struct KilnMath<uint8_t> { typedef long long type; static const bool fp = false; };
template <> struct KilnMath<int32_t> { typedef long long type; static const bool fp = false; };
template <> struct KilnMath<int64_t> { typedef long long type; static const bool fp = false; };
template <> struct KilnMath<b8_t> { typedef long long type; static const bool fp = false; };

// Round to nearest even on the upper half of the float32 pattern, NaN kept quiet: bit for bit
// the CPU device's conversion.
__device__ __forceinline__ bf16_t kiln_to_bf16(float f) {
  unsigned int bits = __float_as_uint(f);
  unsigned short h;
  if (f != f) {
    h = (unsigned short)((bits >> 16) | 0x40);
  } else {
    h = (unsigned short)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
  }
  return __ushort_as_bfloat16(h);
}

__device__ __forceinline__ float kiln_from_bf16(bf16_t h) {
  return __uint_as_float(((unsigned int)__bfloat16_as_ushort(h)) << 16);
}

// Loads as double (every dtype) and as int64 (integers exactly, floats toward zero).
template <typename T> __device__ __forceinline__ double kiln_load_d(const T* p, int64_t i) {
  return (double)p[i];
}
template <> __device__ __forceinline__ double kiln_load_d<f16_t>(const f16_t* p, int64_t i) {
  return (double)__half2float(p[i]);
}
template <> __device__ __forceinline__ double kiln_load_d<bf16_t>(const bf16_t* p, int64_t i) {
  return (double)kiln_from_bf16(p[i]);
}
template <> __device__ __forceinline__ double kiln_load_d<int8_t>(const int8_t* p, int64_t i) {
  return (double)(long long)p[i];
}

template <typename T> __device__ __forceinline__ long long kiln_load_l(const T* p, int64_t i) {
  return (long long)p[i];
}
template <> __device__ __forceinline__ long long kiln_load_l<float>(const float* p, int64_t i) {
  return (long long)(double)p[i];
}
template <> __device__ __forceinline__ long long kiln_load_l<f16_t>(const f16_t* p, int64_t i) {
  return (long long)(double)__half2float(p[i]);
}
template <> __device__ __forceinline__ long long kiln_load_l<bf16_t>(const bf16_t* p, int64_t i) {
  return (long long)(double)kiln_from_bf16(p[i]);
}

// Stores from double: floats round (through float32 for the half types, as the CPU does),
// integers truncate toward zero and saturate (the conversion instructions saturate and send NaN
// to 0), int8/uint8 clamp, bool is "nonzero" (so NaN is true).
template <typename T> __device__ __forceinline__ void kiln_store_d(T* p, int64_t i, double v);
template <> __device__ __forceinline__ void kiln_store_d<float>(float* p, int64_t i, double v) {
  p[i] = (float)v;
}
template <> __device__ __forceinline__ void kiln_store_d<double>(double* p, int64_t i, double v) {
  p[i] = v;
}
template <> __device__ __forceinline__ void kiln_store_d<f16_t>(f16_t* p, int64_t i, double v) {
  p[i] = __float2half_rn((float)v);
}
template <> __device__ __forceinline__ void kiln_store_d<bf16_t>(bf16_t* p, int64_t i, double v) {
  p[i] = kiln_to_bf16((float)v);
}
template <> __device__ __forceinline__ void kiln_store_d<int8_t>(int8_t* p, int64_t i, double v) {
  long long l = (long long)v;
  p[i] = (int8_t)(l < -128 ? -128 : l > 127 ? 127 : l);
}
template <> __device__ __forceinline__ void kiln_store_d<uint8_t>(uint8_t* p, int64_t i, double v) {
  long long l = (long long)v;
  p[i] = (uint8_t)(l < 0 ? 0 : l > 255 ? 255 : l);
}
template <> __device__ __forceinline__ void kiln_store_d<int32_t>(int32_t* p, int64_t i, double v) {
  p[i] = (int32_t)v;
}
template <> __device__ __forceinline__ void kiln_store_d<int64_t>(int64_t* p, int64_t i, double v) {
  p[i] = (int64_t)(long long)v;
}
template <> __device__ __forceinline__ void kiln_store_d<b8_t>(b8_t* p, int64_t i, double v) {
  p[i] = v != 0 ? 1 : 0;
}

// Stores from int64: integers wrap, bool is "nonzero", floats round.
template <typename T> __device__ __forceinline__ void kiln_store_l(T* p, int64_t i, long long v) {
  p[i] = (T)(unsigned long long)v;
}
template <> __device__ __forceinline__ void kiln_store_l<b8_t>(b8_t* p, int64_t i, long long v) {
  p[i] = v != 0 ? 1 : 0;
}
template <> __device__ __forceinline__ void kiln_store_l<float>(float* p, int64_t i, long long v) {
  kiln_store_d<float>(p, i, (double)v);
}
template <> __device__ __forceinline__ void kiln_store_l<double>(double* p, int64_t i, long long v) {
  p[i] = (double)v;
}
template <> __device__ __forceinline__ void kiln_store_l<f16_t>(f16_t* p, int64_t i, long long v) {
  kiln_store_d<f16_t>(p, i, (double)v);
}
template <> __device__ __forceinline__ void kiln_store_l<bf16_t>(bf16_t* p, int64_t i, long long v) {
  kiln_store_d<bf16_t>(p, i, (double)v);
}

// Loads and stores in the type's arithmetic type (KilnMath<T>::type).
template <typename T>
__device__ __forceinline__ typename KilnMath<T>::type kiln_load(const T* p, int64_t i) {
  return (typename KilnMath<T>::type)p[i];
}
template <> __device__ __forceinline__ float kiln_load<f16_t>(const f16_t* p, int64_t i) {
  return __half2float(p[i]);
}
template <> __device__ __forceinline__ float kiln_load<bf16_t>(const bf16_t* p, int64_t i) {
  return kiln_from_bf16(p[i]);
}

template <typename T>
__device__ __forceinline__ void kiln_store(T* p, int64_t i, typename KilnMath<T>::type v) {
  if constexpr (KilnMath<T>::fp) {
    kiln_store_d<T>(p, i, (double)v);
  } else {
    kiln_store_l<T>(p, i, (long long)v);
  }
}
template <> __device__ __forceinline__ void kiln_store<float>(float* p, int64_t i, float v) {
  p[i] = v;
}
template <> __device__ __forceinline__ void kiln_store<f16_t>(f16_t* p, int64_t i, float v) {
  p[i] = __float2half_rn(v);
}
template <> __device__ __forceinline__ void kiln_store<bf16_t>(bf16_t* p, int64_t i, float v) {
  p[i] = kiln_to_bf16(v);
}

// An index operand of runtime type code (0 int8, 1 uint8, 2 int32, 3 int64).
__device__ __forceinline__ long long kiln_load_index(const void* p, int type, int64_t i) {
  switch (type) {
    case 0: return ((const int8_t*)p)[i];
    case 1: return ((const uint8_t*)p)[i];
    case 2: return ((const int32_t*)p)[i];
    default: return ((const long long*)p)[i];
  }
}

// Instantiation lists: X(suffix, C type).
#define KILN_FLOAT_TYPES(X) X(f32, float) X(f64, double) X(f16, f16_t) X(bf16, bf16_t)
#define KILN_INT_TYPES(X) X(i8, int8_t) X(u8, uint8_t) X(i32, int32_t) X(i64, int64_t)
#define KILN_NUMERIC_TYPES(X) KILN_FLOAT_TYPES(X) KILN_INT_TYPES(X)
#define KILN_ALL_TYPES(X) KILN_NUMERIC_TYPES(X) X(b8, b8_t)
#define KILN_BYTE_SIZES(X) X(b1, uint8_t) X(b2, uint16_t) X(b4, uint32_t) X(b8, unsigned long long)

// Function codes of the generic kernels; the Java catalogue uses the same numbers (a test reads
// them from this file).
enum KilnUnaryFn {
  KILN_UNARY_NEG = 0, KILN_UNARY_ABS = 1, KILN_UNARY_SIGN = 2, KILN_UNARY_EXP = 3,
  KILN_UNARY_EXPM1 = 4, KILN_UNARY_LOG = 5, KILN_UNARY_LOG1P = 6, KILN_UNARY_SQRT = 7,
  KILN_UNARY_RSQRT = 8, KILN_UNARY_SQUARE = 9, KILN_UNARY_RECIPROCAL = 10, KILN_UNARY_SIN = 11,
  KILN_UNARY_COS = 12, KILN_UNARY_TANH = 13, KILN_UNARY_SIGMOID = 14, KILN_UNARY_ERF = 15,
  KILN_UNARY_FLOOR = 16, KILN_UNARY_CEIL = 17, KILN_UNARY_ROUND = 18, KILN_UNARY_LOGICAL_NOT = 19
};
enum KilnBinaryFn {
  KILN_BINARY_ADD = 0, KILN_BINARY_SUB = 1, KILN_BINARY_MUL = 2, KILN_BINARY_DIV = 3,
  KILN_BINARY_POW = 4, KILN_BINARY_MAX = 5, KILN_BINARY_MIN = 6, KILN_BINARY_MOD = 7,
  KILN_BINARY_LOGICAL_AND = 8, KILN_BINARY_LOGICAL_OR = 9, KILN_BINARY_LOGICAL_XOR = 10
};
enum KilnCompareFn {
  KILN_COMPARE_EQUAL = 0, KILN_COMPARE_NOT_EQUAL = 1, KILN_COMPARE_LESS = 2,
  KILN_COMPARE_LESS_EQUAL = 3, KILN_COMPARE_GREATER = 4, KILN_COMPARE_GREATER_EQUAL = 5
};
enum KilnReduceFn {
  KILN_REDUCE_SUM = 0, KILN_REDUCE_MEAN = 1, KILN_REDUCE_MAX = 2, KILN_REDUCE_MIN = 3,
  KILN_REDUCE_PROD = 4
};
enum KilnArgFn { KILN_ARG_ARGMAX = 0, KILN_ARG_ARGMIN = 1 };
enum KilnPoolFn { KILN_POOL_MAX = 0, KILN_POOL_AVG = 1 };
enum KilnDistribution {
  KILN_DISTRIBUTION_UNIFORM = 0, KILN_DISTRIBUTION_NORMAL = 1, KILN_DISTRIBUTION_BERNOULLI = 2
};

// max/min as the CPU device: NaN if either is NaN; of two zeros, max prefers +0 and min -0.
template <typename M> __device__ __forceinline__ M kiln_fmax(M a, M b) {
  if (a != a || b != b) return a != a ? a : b;
  if (a > b) return a;
  if (b > a) return b;
  return signbit(a) ? b : a;
}
template <typename M> __device__ __forceinline__ M kiln_fmin(M a, M b) {
  if (a != a || b != b) return a != a ? a : b;
  if (a < b) return a;
  if (b < a) return b;
  return signbit(a) ? a : b;
}

// Block-wide reduction with warp shuffles; every thread gets the result. blockDim.x must be a
// multiple of 32, at most 1024. `scratch` holds 32 values.
template <typename A, typename Op>
__device__ __forceinline__ A kiln_block_reduce(A v, Op op, A* scratch) {
  const unsigned full = 0xffffffffu;
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) {
    v = op(v, __shfl_xor_sync(full, v, d));
  }
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = scratch[lane < warps ? lane : 0];
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) {
    v = op(v, __shfl_xor_sync(full, v, d));
  }
  return v;
}
