// Batch normalization with batch statistics and its gradient, as the engine runs them whole
// (batch_norm_training, batch_norm_training_grad): a per-channel statistics pass, then an
// elementwise pass. Tensors are seen as [outer, c, inner] around the channel axis; channel ch
// holds the outer * inner elements x[(o * c + ch) * inner + k]. Float types accumulate in float
// (f64 in double). The statistics kernels run one block per channel (grid-stride over channels);
// blockDim.x a multiple of 32, <= 1024. The apply kernels are grid-stride elementwise loops.
//
//   kiln_batch_norm_stats_<t>(int64 outer, int64 c, int64 inner, const T* x, T* mean, T* var)
//       mean[ch] and the biased variance var[ch] = mean((x - mean)^2) over channel ch.
//   kiln_batch_norm_apply_<t>(int64 outer, int64 c, int64 inner, double epsilon, const T* x,
//       const T* gamma, const T* beta, const T* mean, const T* var, T* y)
//       y = (x - mean) / sqrt(var + epsilon) * gamma + beta.
//   kiln_batch_norm_grad_sums_<t>(int64 outer, int64 c, int64 inner, double epsilon,
//       const T* x, const T* mean, const T* var, const T* dy, T* dgamma, T* dbeta)
//       dbeta[ch] = sum(dy); dgamma[ch] = sum(dy * (x - mean)) / sqrt(var + epsilon).
//   kiln_batch_norm_grad_apply_<t>(int64 outer, int64 c, int64 inner, double epsilon,
//       const T* x, const T* gamma, const T* mean, const T* var, const T* dy, const T* dmean,
//       const T* dvar, const T* dgamma, const T* dbeta, T* dx)
//       with inv = 1 / sqrt(var + epsilon), scale = gamma * inv, n = outer * inner:
//       dx = dy * scale + (x - mean) * (2 * dvar - scale * inv * dgamma) / n
//            + (dmean - scale * dbeta) / n.
#include "kiln_common.cuh"

template <typename A> struct KilnAddOp {
  __device__ A operator()(A a, A b) const { return a + b; }
};

// Sums f(value of x at i, value of y at i) over channel ch's elements, block-wide.
template <typename T, typename F>
__device__ __forceinline__ typename KilnMath<T>::type kiln_channel_sum(
    int64_t outer, int64_t c, int64_t inner, int64_t ch, F f,
    typename KilnMath<T>::type* scratch) {
  typedef typename KilnMath<T>::type A;
  A acc = 0;
  int64_t count = outer * inner;
  for (int64_t j = threadIdx.x; j < count; j += blockDim.x) {
    int64_t o = j / inner, k = j % inner;
    acc += f((o * c + ch) * inner + k);
  }
  return kiln_block_reduce(acc, KilnAddOp<A>(), scratch);
}

template <typename T>
__device__ __forceinline__ void kiln_bn_stats_body(int64_t outer, int64_t c, int64_t inner,
                                                   const T* x, T* mean, T* var) {
  typedef typename KilnMath<T>::type A;
  __shared__ A scratch[32];
  A n = (A)(outer * inner);
  for (int64_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
    A m = kiln_channel_sum<T>(outer, c, inner, ch, [&](int64_t i) { return kiln_load(x, i); },
                              scratch) / n;
    A v = kiln_channel_sum<T>(outer, c, inner, ch, [&](int64_t i) {
      A d = kiln_load(x, i) - m;
      return d * d;
    }, scratch) / n;
    if (threadIdx.x == 0) {
      kiln_store(mean, ch, m);
      kiln_store(var, ch, v);
    }
  }
}

template <typename T>
__device__ __forceinline__ void kiln_bn_apply_body(int64_t outer, int64_t c, int64_t inner, double eps,
                                                   const T* x, const T* gamma, const T* beta,
                                                   const T* mean, const T* var, T* y) {
  typedef typename KilnMath<T>::type A;
  int64_t total = outer * c * inner;
  _Pragma("unroll 1") for (int64_t i = kiln_grid_start(); i < total; i += kiln_grid_step()) {
    int64_t ch = (i / inner) % c;
    A inv = (A)1 / sqrt(kiln_load(var, ch) + (A)eps);
    kiln_store(y, i, (kiln_load(x, i) - kiln_load(mean, ch)) * inv * kiln_load(gamma, ch) +
                         kiln_load(beta, ch));
  }
}

template <typename T>
__device__ __forceinline__ void kiln_bn_grad_sums_body(int64_t outer, int64_t c, int64_t inner,
                                                       double eps, const T* x, const T* mean,
                                                       const T* var, const T* dy, T* dgamma,
                                                       T* dbeta) {
  typedef typename KilnMath<T>::type A;
  __shared__ A scratch[32];
  for (int64_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
    A m = kiln_load(mean, ch);
    A sumDy = kiln_channel_sum<T>(outer, c, inner, ch, [&](int64_t i) { return kiln_load(dy, i); },
                                  scratch);
    A sumDyXc = kiln_channel_sum<T>(outer, c, inner, ch, [&](int64_t i) {
      return kiln_load(dy, i) * (kiln_load(x, i) - m);
    }, scratch);
    if (threadIdx.x == 0) {
      kiln_store(dgamma, ch, sumDyXc / sqrt(kiln_load(var, ch) + (A)eps));
      kiln_store(dbeta, ch, sumDy);
    }
  }
}

template <typename T>
__device__ __forceinline__ void kiln_bn_grad_apply_body(int64_t outer, int64_t c, int64_t inner,
                                                        double eps, const T* x, const T* gamma,
                                                        const T* mean, const T* var, const T* dy,
                                                        const T* dmean, const T* dvar,
                                                        const T* dgamma, const T* dbeta, T* dx) {
  typedef typename KilnMath<T>::type A;
  A n = (A)(outer * inner);
  int64_t total = outer * c * inner;
  _Pragma("unroll 1") for (int64_t i = kiln_grid_start(); i < total; i += kiln_grid_step()) {
    int64_t ch = (i / inner) % c;
    A inv = (A)1 / sqrt(kiln_load(var, ch) + (A)eps);
    A scale = kiln_load(gamma, ch) * inv;
    A k2 = ((A)2 * kiln_load(dvar, ch) - scale * inv * kiln_load(dgamma, ch)) / n;
    A k3 = (kiln_load(dmean, ch) - scale * kiln_load(dbeta, ch)) / n;
    A xc = kiln_load(x, i) - kiln_load(mean, ch);
    kiln_store(dx, i, kiln_load(dy, i) * scale + xc * k2 + k3);
  }
}

#define KILN_BATCH_NORM(S, T)                                                                     \
  extern "C" __global__ void kiln_batch_norm_stats_##S(int64_t outer, int64_t c, int64_t inner,   \
                                                       const T* x, T* mean, T* var) {             \
    kiln_bn_stats_body<T>(outer, c, inner, x, mean, var);                                         \
  }                                                                                               \
  extern "C" __global__ void kiln_batch_norm_apply_##S(                                           \
      int64_t outer, int64_t c, int64_t inner, double epsilon, const T* x, const T* gamma,        \
      const T* beta, const T* mean, const T* var, T* y) {                                         \
    kiln_bn_apply_body<T>(outer, c, inner, epsilon, x, gamma, beta, mean, var, y);                \
  }                                                                                               \
  extern "C" __global__ void kiln_batch_norm_grad_sums_##S(                                       \
      int64_t outer, int64_t c, int64_t inner, double epsilon, const T* x, const T* mean,         \
      const T* var, const T* dy, T* dgamma, T* dbeta) {                                           \
    kiln_bn_grad_sums_body<T>(outer, c, inner, epsilon, x, mean, var, dy, dgamma, dbeta);         \
  }                                                                                               \
  extern "C" __global__ void kiln_batch_norm_grad_apply_##S(                                      \
      int64_t outer, int64_t c, int64_t inner, double epsilon, const T* x, const T* gamma,        \
      const T* mean, const T* var, const T* dy, const T* dmean, const T* dvar, const T* dgamma,   \
      const T* dbeta, T* dx) {                                                                    \
    kiln_bn_grad_apply_body<T>(outer, c, inner, epsilon, x, gamma, mean, var, dy, dmean, dvar,    \
                               dgamma, dbeta, dx);                                                \
  }
KILN_FLOAT_TYPES(KILN_BATCH_NORM)
