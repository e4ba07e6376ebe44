// Convolution through im2col + GEMM (gemm.cu) + col2im, for the forward op and both backward
// ops, with groups (depthwise is groups = channels), dilation, padding and strides on any number
// of spatial axes (<= 8). Geometry in a KilnConv (kiln_common.cuh); tensors are channels-last:
// x [batch, in..., cin], w [k..., cinG, cout], y [batch, out..., cout].
//
// The column matrix of a launch covering `batch` images has layout [groups][M][taps][cinG] with
// M = batch * prod(out) and taps = prod(k): row m = n * prod(out) + o holds, for group g, the
// input values under output position o's window (0 in the padding).
//
//   kiln_im2col_<b2|b4|b8>(KilnConv g, int64 total, const T* x, T* col)
//       total = groups * M * taps * cinG; x points at the first image of the launch.
//   kiln_col2im_<f32|f64|f16|bf16>(KilnConv g, int64 total, const T* col, T* dx)
//       dx[n, p, c] = the sum of the column entries that im2col took from (n, p, c);
//       total = batch * prod(in) * cin; every dx element of the launch is written.
//
// Forward: y_g = col_g @ w_g per group (A = col + g*M*taps*cinG, lda = taps*cinG;
// B = w + g*coutG, ldb = cout; C = y + g*coutG, ldc = cout). Input gradient: dcol_g = dy_g @
// w_g^T, then col2im. Filter gradient: dw_g += col_g^T @ dy_g (beta = 1 after the first chunk).
#include "kiln_common.cuh"

// The flat input position under output position o and tap k, or -1 in the padding.
__device__ __forceinline__ int64_t kiln_conv_input(const KilnConv& g, int64_t o, int64_t k) {
  int64_t flat = 0;
  bool inside = true;
  int64_t oRest = o, kRest = k;
  int oc[KILN_MAX_RANK], kc[KILN_MAX_RANK];
  for (int a = g.rank - 1; a >= 0; a--) {
    oc[a] = (int)(oRest % g.out[a]);
    oRest /= g.out[a];
    kc[a] = (int)(kRest % g.k[a]);
    kRest /= g.k[a];
  }
  for (int a = 0; a < g.rank; a++) {
    int p = oc[a] * g.stride[a] - g.lo[a] + kc[a] * g.dil[a];
    inside &= p >= 0 && p < g.in[a];
    flat = flat * g.in[a] + p;
  }
  return inside ? flat : -1;
}

#define KILN_IM2COL(S, T)                                                                      \
  extern "C" __global__ void kiln_im2col_##S(KilnConv g, int64_t total, const T* x, T* col) {  \
    int64_t outPos = kiln_prod(g.out, g.rank), inPos = kiln_prod(g.in, g.rank);               \
    int64_t taps = kiln_prod(g.k, g.rank), m = (int64_t)g.batch * outPos;                      \
    _Pragma("unroll 1") for (int64_t e = kiln_grid_start(); e < total; e += kiln_grid_step()) {                    \
      int64_t ci = e % g.cinG, t = e / g.cinG;                                                 \
      int64_t k = t % taps;                                                                    \
      t /= taps;                                                                               \
      int64_t row = t % m, grp = t / m;                                                        \
      int64_t n = row / outPos, o = row % outPos;                                              \
      int64_t p = kiln_conv_input(g, o, k);                                                    \
      col[e] = p < 0 ? (T)0 : x[(n * inPos + p) * g.cin + grp * g.cinG + ci];                  \
    }                                                                                          \
  }
KILN_IM2COL(b2, uint16_t)
KILN_IM2COL(b4, uint32_t)
KILN_IM2COL(b8, unsigned long long)

template <typename T>
__device__ __forceinline__ void kiln_col2im_body(const KilnConv& g, int64_t total, const T* col, T* dx) {
  typedef typename KilnMath<T>::type A;
  int64_t outPos = kiln_prod(g.out, g.rank), inPos = kiln_prod(g.in, g.rank);
  int64_t taps = kiln_prod(g.k, g.rank), m = (int64_t)g.batch * outPos;
  _Pragma("unroll 1") for (int64_t e = kiln_grid_start(); e < total; e += kiln_grid_step()) {
    int64_t c = e % g.cin, t = e / g.cin;
    int64_t p = t % inPos, n = t / inPos;
    int64_t grp = c / g.cinG, ci = c % g.cinG;
    int pc[KILN_MAX_RANK];
    int64_t rest = p;
    for (int a = g.rank - 1; a >= 0; a--) {
      pc[a] = (int)(rest % g.in[a]);
      rest /= g.in[a];
    }
    A acc = 0;
    for (int64_t k = 0; k < taps; k++) {
      int64_t kRest = k, o = 0, scale = 1;
      bool hit = true;
      for (int a = g.rank - 1; a >= 0 && hit; a--) {
        int ka = (int)(kRest % g.k[a]);
        kRest /= g.k[a];
        // Output position oa reads input pa through tap ka when oa * stride - lo + ka * dil = pa.
        int num = pc[a] + g.lo[a] - ka * g.dil[a];
        if (num < 0 || num % g.stride[a] != 0 || num / g.stride[a] >= g.out[a]) {
          hit = false;
        } else {
          o += scale * (num / g.stride[a]);
          scale *= g.out[a];
        }
      }
      if (hit) {
        acc += kiln_load(col, ((grp * m + n * outPos + o) * taps + k) * g.cinG + ci);
      }
    }
    kiln_store(dx, e, acc);
  }
}

#define KILN_COL2IM(S, T)                                                                      \
  extern "C" __global__ void kiln_col2im_##S(KilnConv g, int64_t total, const T* col, T* dx) { \
    kiln_col2im_body<T>(g, total, col, dx);                                                    \
  }
KILN_FLOAT_TYPES(KILN_COL2IM)
