"""Writes the HDF5 files with cyclic links that untrusted/CyclicHdf5Test feeds to Kiln.

Run with Debian's h5py: /usr/bin/python3 api/src/test/golden/make_hostile_h5.py
Each file holds the weights of Sequential(Input(3), Dense(2)) (kernel = 0..5 / 10, bias = [1, 2])
plus links that loop:
  hard-cycle.weights.h5  Keras 3 layout; layers/dense/vars/up is a hard link to layers/ (a group
                         that contains its own parent) and /loop is a hard link to the root.
  soft-cycle.weights.h5  Keras 3 layout; /a and /b are soft links to each other, and
                         layers/dense/vars/1 (the bias) is a soft link into that loop.
  soft-cycle-keras2.h5   Keras 2 layout; dense's weight_names lead to soft links that point at
                         each other.
"""
import os

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "untrusted")
KERNEL = (np.arange(6, dtype="float32") / 10).reshape(3, 2)
BIAS = np.array([1, 2], dtype="float32")

with h5py.File(os.path.join(OUT, "hard-cycle.weights.h5"), "w") as f:
    v = f.create_group("layers/dense/vars")
    v["0"] = KERNEL
    v["1"] = BIAS
    f["layers/dense/up"] = f["layers"]
    f["loop"] = f["/"]

with h5py.File(os.path.join(OUT, "soft-cycle.weights.h5"), "w") as f:
    v = f.create_group("layers/dense/vars")
    v["0"] = KERNEL
    f["a"] = h5py.SoftLink("/b")
    f["b"] = h5py.SoftLink("/a")
    v["1"] = h5py.SoftLink("/a")

with h5py.File(os.path.join(OUT, "soft-cycle-keras2.h5"), "w") as f:
    f.attrs["layer_names"] = [b"dense"]
    g = f.create_group("dense")
    g.attrs["weight_names"] = [b"dense/kernel:0", b"dense/bias:0"]
    inner = g.create_group("dense")
    inner["kernel:0"] = h5py.SoftLink("/dense/dense/bias:0")
    inner["bias:0"] = h5py.SoftLink("/dense/dense/kernel:0")
print("wrote", OUT)
