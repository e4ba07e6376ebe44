"""Prints a Keras 2 full-model .h5 file as JSON, read by h5py: its model_config (parsed) and, for
each layer, its weights in the file's weight_names order (nested lists, with their shapes).

Used by make_golden_samples.js (TF.js cannot read HDF5); run with Debian's h5py:
    /usr/bin/python3 api/src/test/golden/h5_model_dump.py FILE.h5
"""
import json
import sys

import h5py


def text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


with h5py.File(sys.argv[1], "r") as f:
    config = json.loads(text(f.attrs["model_config"]))
    g = f["model_weights"]
    weights = {}
    for layer in (text(n) for n in g.attrs["layer_names"]):
        names = [text(n) for n in g[layer].attrs.get("weight_names", [])]
        weights[layer] = [
            {"name": n, "shape": list(g[layer][n].shape), "values": g[layer][n][()].astype("float64").reshape(-1).tolist()}
            for n in names
        ]
    json.dump({"model_config": config, "weights": weights}, sys.stdout)
