"""Writes the Keras 3 ``.weights.h5`` that WeightsH5Test loads to check Normalization's layout.

Run with Debian's h5py: /usr/bin/python3 api/src/test/golden/make_keras3_normalization_h5.py
The file is what Keras 3.6+'s ``save_weights`` writes for
``Sequential([Input((2, 2, 3)), Normalization(), Flatten(), Dense(2)])`` after ``adapt``: groups
keyed by class name, each ``vars`` group with attribute ``name`` (and present even when empty);
Normalization's variables in the order it creates them, ``0`` mean and ``1`` variance with the
kept axis only (shape (3,)), ``2`` count, an int64 scalar kept for backwards compatibility.
Values:
  mean = [10, 20, 30], variance = [4, 9, 16], count = 1000
  Dense kernel (12, 2) = arange(24) / 10 - 1, bias = [1, 2]
"""
import os

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "golden",
                   "keras3-normalization.weights.h5")

with h5py.File(OUT, "w") as f:
    f.create_group("vars").attrs["name"] = "sequential"
    norm = f.create_group("layers/normalization/vars")
    norm.attrs["name"] = "normalization"
    norm["0"] = np.array([10, 20, 30], dtype="float32")
    norm["1"] = np.array([4, 9, 16], dtype="float32")
    norm["2"] = np.int64(1000)
    f.create_group("layers/flatten/vars").attrs["name"] = "flatten"
    dense = f.create_group("layers/dense/vars")
    dense.attrs["name"] = "dense"
    dense["0"] = (np.arange(24, dtype="float32") / 10 - 1).reshape(12, 2)
    dense["1"] = np.array([1, 2], dtype="float32")
print(OUT, os.path.getsize(OUT), "bytes")
