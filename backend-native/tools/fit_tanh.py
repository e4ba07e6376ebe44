# Fits the odd polynomial tanh(x) = x + x^3 P(x^2) used by F32Loops.tanh below |x| = 0.625:
# least squares in float64 on Chebyshev-spaced points, then checked in float32 arithmetic.
# Run: python3 backend-native/tools/fit_tanh.py (needs numpy).
import numpy as np

A = 0.625
xs = np.cos(np.linspace(0, np.pi, 4000)) * A / 2 + A / 2
xs = xs[xs > 1e-4]
u = xs**2
target = (np.tanh(xs) / xs - 1) / u
coef, *_ = np.linalg.lstsq(np.vstack([u**i for i in range(6)]).T, target, rcond=None)

xt = np.linspace(-A, A, 200001).astype(np.float32)
ut = xt * xt
p = np.float32(0)
for c in coef[::-1]:
    p = (p * ut + np.float32(c)).astype(np.float32)
approx = (xt + xt * ut * p).astype(np.float32)
exact = np.tanh(xt.astype(np.float64))
nz = exact != 0
print("coefficients T1..T6:", [float(np.float32(c)) for c in coef])
print("largest relative error in float32:", np.max(np.abs(approx[nz] - exact[nz]) / np.abs(exact[nz])))
