// The Adam update as one pass: operands (w, g, m, v, alpha) where alpha is a one-element tensor
// on the device, results (w', m', v'); each index's operands are read before its results are
// written, so a result may share its operand's memory.
//
//   kiln_adam_<f32|f64|f16|bf16>(int64 n, double oneMinusBeta1, double oneMinusBeta2,
//       double epsilon, const T* alpha, const T* w, const T* g, const T* m, const T* v,
//       T* wOut, T* mOut, T* vOut)
//     m' = m + (g - m) * (1 - beta1); v' = v + (g * g - v) * (1 - beta2);
//     w' = w - m' * alpha / (sqrt(v') + epsilon). Float types compute in float (f64 in double).
#include "kiln_common.cuh"

template <typename T>
__device__ __forceinline__ void kiln_adam_body(int64_t n, double b1c, double b2c, double eps,
                                               const T* alpha, const T* w, const T* g, const T* m,
                                               const T* v, T* wOut, T* mOut, T* vOut) {
  typedef typename KilnMath<T>::type A;
  A al = kiln_load(alpha, 0), c1 = (A)b1c, c2 = (A)b2c, ep = (A)eps;
  _Pragma("unroll 1") for (int64_t i = kiln_grid_start(); i < n; i += kiln_grid_step()) {
    A gi = kiln_load(g, i), mi = kiln_load(m, i), vi = kiln_load(v, i), wi = kiln_load(w, i);
    A m2 = fma(gi - mi, c1, mi);
    A v2 = fma(gi * gi - vi, c2, vi);
    kiln_store(mOut, i, m2);
    kiln_store(vOut, i, v2);
    kiln_store(wOut, i, wi - m2 * al / (sqrt(v2) + ep));
  }
}

#define KILN_ADAM(S, T)                                                                        \
  extern "C" __global__ void kiln_adam_##S(int64_t n, double oneMinusBeta1,                    \
                                           double oneMinusBeta2, double epsilon,               \
                                           const T* alpha, const T* w, const T* g, const T* m, \
                                           const T* v, T* wOut, T* mOut, T* vOut) {            \
    kiln_adam_body<T>(n, oneMinusBeta1, oneMinusBeta2, epsilon, alpha, w, g, m, v, wOut, mOut, \
                      vOut);                                                                   \
  }
KILN_FLOAT_TYPES(KILN_ADAM)
