// Matrix products: C = alpha * op(A) @ op(B) + beta * C, batched, row-major, any leading
// dimensions, bounds-checked tails. Kiln's own GEMM, the fallback when cuBLAS is absent, and the
// middle step of convolution (im2col, GEMM, col2im).
//
//   op(A) is M x K: A[i * lda + p], or A[p * lda + i] when transA != 0.
//   op(B) is K x N: B[p * ldb + j], or B[j * ldb + p] when transB != 0.
//   C[i * ldc + j]. Matrix z of the batch (z < batchCount) starts at the offsets the indexer
//   `batch` gives at position z (stride[0] for A, stride[1] for B, stride[2] for C, in elements;
//   broadcast batch axes have stride 0); rank 0 means one matrix at offset 0.
//   When beta == 0, C is not read (it may hold NaN).
//
//   kiln_gemm_<f32|f16|bf16>(int32 transA, int32 transB, int32 M, int32 N, int32 K, float alpha,
//       const T* A, int64 lda, const T* B, int64 ldb, float beta, T* C, int64 ldc,
//       int64 batchCount, KilnIndexer batch)
//     128x128 tiles, 8x8 results per thread. blockDim = (256, 1, 1);
//     grid = (ceil(N / 128), ceil(M / 128), min(batchCount, 65535)).
//   kiln_gemm64_<f32|f16|bf16>(same parameters)
//     64x64 tiles, 4x4 per thread, for products too small to fill the GPU with 128x128 tiles.
//     blockDim = (256, 1, 1); grid = (ceil(N / 64), ceil(M / 64), min(batchCount, 65535)).
//   The half types load and store 16-bit values and compute in float32.
//
//   kiln_gemm_<f64|i8|u8|i32|i64>(int32 transA, int32 transB, int32 M, int32 N, int32 K,
//       double alpha, const T* A, int64 lda, const T* B, int64 ldb, double beta, T* C, int64 ldc,
//       int64 batchCount, KilnIndexer batch)
//     16x16 tiles; blockDim = (16, 16, 1); grid = (ceil(N / 16), ceil(M / 16), min(batchCount,
//     65535)). Integers accumulate in int64 and wrap; they ignore alpha and add C when beta != 0.
#include "kiln_common.cuh"

#define KILN_GEMM_BK 8

// The matrices of batch entry z.
template <typename T>
__device__ __forceinline__ void kiln_batch_matrices(const KilnIndexer& batch, int64_t z, const T* A,
                                                    const T* B, T* C, const T** a, const T** b,
                                                    T** c) {
  int64_t off[3];
  kiln_offsets<3>(batch, z, off);
  *a = A + off[0];
  *b = B + off[1];
  *c = C + off[2];
}
#define KILN_GEMM_THREADS 256

template <typename T, int BM, int BN, int TM, int TN>
__device__ __forceinline__ void kiln_gemm_tiled(int transA, int transB, int M, int N, int K,
                                                float alpha, const T* A, int64_t lda, const T* B,
                                                int64_t ldb, float beta, T* C, int64_t ldc,
                                                int64_t batchCount, const KilnIndexer& batch) {
  constexpr int BK = KILN_GEMM_BK;
  constexpr int LA = BM * BK / KILN_GEMM_THREADS;
  constexpr int LB = BN * BK / KILN_GEMM_THREADS;
  // The +4 keeps float4 alignment of rows while spreading the transposed stores over banks.
  __shared__ __align__(16) float As[BK][BM + 4];
  __shared__ __align__(16) float Bs[BK][BN + 4];
  const int tid = threadIdx.x;
  const int tx = tid % (BN / TN);
  const int ty = tid / (BN / TN);
  const int row0 = blockIdx.y * BM;
  const int col0 = blockIdx.x * BN;
  for (int64_t z = blockIdx.z; z < batchCount; z += gridDim.z) {
    const T *a, *b;
    T* c;
    kiln_batch_matrices(batch, z, A, B, C, &a, &b, &c);
    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; i++) {
#pragma unroll
      for (int j = 0; j < TN; j++) acc[i][j] = 0.f;
    }
    float ra[LA], rb[LB];
    // Consecutive threads read consecutive addresses of A and B, whichever way each is stored:
    // load l of this thread reads tile coordinates (r0 + l * dr, k0 + l * dk) of op(A), and
    // (c0 + l * dc, k0 + l * dk) of op(B); one pointer per operand walks the k tiles.
    constexpr int NT = KILN_GEMM_THREADS;
    const int aR = transA ? tid % BM : tid / BK, aK = transA ? tid / BM : tid % BK;
    const int aDr = transA ? 0 : NT / BK, aDk = transA ? NT / BM : 0;
    const int bC = transB ? tid / BK : tid % BN, bK = transB ? tid % BK : tid / BN;
    const int bDc = transB ? NT / BK : 0, bDk = transB ? 0 : NT / BN;
    const int64_t aStepL = transA ? (int64_t)aDk * lda : (int64_t)aDr * lda;
    const int64_t bStepL = transB ? (int64_t)bDc * ldb : (int64_t)bDk * ldb;
    const int64_t aStepK = transA ? (int64_t)BK * lda : BK;
    const int64_t bStepK = transB ? BK : (int64_t)BK * ldb;
    const T* pa = a + (transA ? (int64_t)aK * lda + row0 + aR : (int64_t)(row0 + aR) * lda + aK);
    const T* pb = b + (transB ? (int64_t)(col0 + bC) * ldb + bK : (int64_t)bK * ldb + col0 + bC);
#define KILN_LOAD_TILES(kbase)                                                                  \
  _Pragma("unroll") for (int l = 0; l < LA; l++) {                                              \
    int gi = row0 + aR + l * aDr, gk = (kbase) + aK + l * aDk;                                  \
    ra[l] = (gi < M && gk < K) ? kiln_load(pa, l * aStepL) : 0.f;                               \
  }                                                                                             \
  _Pragma("unroll") for (int l = 0; l < LB; l++) {                                              \
    int gj = col0 + bC + l * bDc, gk = (kbase) + bK + l * bDk;                                  \
    rb[l] = (gj < N && gk < K) ? kiln_load(pb, l * bStepL) : 0.f;                               \
  }
    KILN_LOAD_TILES(0)
    for (int k0 = 0; k0 < K; k0 += BK) {
#pragma unroll
      for (int l = 0; l < LA; l++) As[aK + l * aDk][aR + l * aDr] = ra[l];
#pragma unroll
      for (int l = 0; l < LB; l++) Bs[bK + l * bDk][bC + l * bDc] = rb[l];
      __syncthreads();
      // The next tile's global loads are issued before this tile's arithmetic, hiding latency.
      if (k0 + BK < K) {
        pa += aStepK;
        pb += bStepK;
        KILN_LOAD_TILES(k0 + BK)
      }
#pragma unroll
      for (int kk = 0; kk < BK; kk++) {
        float av[TM], bv[TN];
#pragma unroll
        for (int i = 0; i < TM; i += 4) {
          float4 v = *reinterpret_cast<const float4*>(&As[kk][ty * TM + i]);
          av[i] = v.x; av[i + 1] = v.y; av[i + 2] = v.z; av[i + 3] = v.w;
        }
#pragma unroll
        for (int j = 0; j < TN; j += 4) {
          float4 v = *reinterpret_cast<const float4*>(&Bs[kk][tx * TN + j]);
          bv[j] = v.x; bv[j + 1] = v.y; bv[j + 2] = v.z; bv[j + 3] = v.w;
        }
#pragma unroll
        for (int i = 0; i < TM; i++) {
#pragma unroll
          for (int j = 0; j < TN; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
      }
      __syncthreads();
    }
#undef KILN_LOAD_TILES
#pragma unroll
    for (int i = 0; i < TM; i++) {
      int gi = row0 + ty * TM + i;
      if (gi >= M) continue;
#pragma unroll
      for (int j = 0; j < TN; j++) {
        int gj = col0 + tx * TN + j;
        if (gj < N) {
          int64_t at = (int64_t)gi * ldc + gj;
          float v = alpha * acc[i][j];
          if (beta != 0.f) v = fmaf(beta, kiln_load(c, at), v);
          kiln_store(c, at, v);
        }
      }
    }
  }
}

#define KILN_GEMM_ENTRY(NAME, T, TILE, PER)                                                      \
  extern "C" __global__ void __launch_bounds__(KILN_GEMM_THREADS)                                 \
      NAME(int transA, int transB, int M, int N, int K, float alpha, const T* A, int64_t lda,      \
           const T* B, int64_t ldb, float beta, T* C, int64_t ldc, int64_t batchCount,             \
           KilnIndexer batch) {                                                                    \
    kiln_gemm_tiled<T, TILE, TILE, PER, PER>(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, \
                                             C, ldc, batchCount, batch);                           \
  }
#define KILN_GEMM_FAST(S, T)                                                                      \
  KILN_GEMM_ENTRY(kiln_gemm_##S, T, 128, 8)                                                       \
  KILN_GEMM_ENTRY(kiln_gemm64_##S, T, 64, 4)
KILN_GEMM_FAST(f32, float)
KILN_GEMM_FAST(f16, f16_t)
KILN_GEMM_FAST(bf16, bf16_t)

template <typename T>
__device__ __forceinline__ void kiln_gemm_simple(int transA, int transB, int M, int N, int K,
                                                 double alpha, const T* A, int64_t lda, const T* B,
                                                 int64_t ldb, double beta, T* C, int64_t ldc,
                                                 int64_t batchCount, const KilnIndexer& batch) {
  typedef typename KilnMath<T>::type M_t;
  __shared__ M_t As[16][17];
  __shared__ M_t Bs[16][17];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int i = blockIdx.y * 16 + ty;
  const int j = blockIdx.x * 16 + tx;
  for (int64_t z = blockIdx.z; z < batchCount; z += gridDim.z) {
    const T *a, *b;
    T* c;
    kiln_batch_matrices(batch, z, A, B, C, &a, &b, &c);
    M_t acc = 0;
    for (int k0 = 0; k0 < K; k0 += 16) {
      // Tile element (ty, tx) of op(A) rows and (ty, tx) of op(B) columns.
      int ai = blockIdx.y * 16 + ty, ak = k0 + tx;
      As[ty][tx] = (ai < M && ak < K)
                       ? kiln_load(a, transA ? (int64_t)ak * lda + ai : (int64_t)ai * lda + ak)
                       : (M_t)0;
      int bk = k0 + ty, bj = blockIdx.x * 16 + tx;
      Bs[ty][tx] = (bj < N && bk < K)
                       ? kiln_load(b, transB ? (int64_t)bj * ldb + bk : (int64_t)bk * ldb + bj)
                       : (M_t)0;
      __syncthreads();
#pragma unroll
      for (int kk = 0; kk < 16; kk++) {
        if constexpr (KilnMath<T>::fp) {
          acc = fma(As[ty][kk], Bs[kk][tx], acc);
        } else {
          acc = (M_t)((unsigned long long)acc + (unsigned long long)As[ty][kk] * (unsigned long long)Bs[kk][tx]);
        }
      }
      __syncthreads();
    }
    if (i < M && j < N) {
      int64_t at = (int64_t)i * ldc + j;
      if constexpr (KilnMath<T>::fp) {
        M_t v = (M_t)alpha * acc;
        if (beta != 0) v = fma((M_t)beta, kiln_load(c, at), v);
        kiln_store(c, at, v);
      } else {
        if (beta != 0) acc = (M_t)((unsigned long long)acc + (unsigned long long)kiln_load(c, at));
        kiln_store(c, at, acc);
      }
    }
  }
}

#define KILN_GEMM_SIMPLE(S, T)                                                                    \
  extern "C" __global__ void __launch_bounds__(256) kiln_gemm_##S(                               \
      int transA, int transB, int M, int N, int K, double alpha, const T* A, int64_t lda,         \
      const T* B, int64_t ldb, double beta, T* C, int64_t ldc, int64_t batchCount,                \
      KilnIndexer batch) {                                                                        \
    kiln_gemm_simple<T>(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, batchCount, \
                        batch);                                                                   \
  }
KILN_GEMM_SIMPLE(f64, double)
KILN_GEMM_SIMPLE(i8, int8_t)
KILN_GEMM_SIMPLE(u8, uint8_t)
KILN_GEMM_SIMPLE(i32, int32_t)
KILN_GEMM_SIMPLE(i64, int64_t)
