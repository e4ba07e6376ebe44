"""Prints a Keras 3 .keras archive as JSON, read with zipfile and h5py: its config.json (parsed) and
each layer's weights, found by Keras 3's structure (layers/<snake_case class name>[_N]/vars/<i>,
or .../cell/vars/<i> for recurrent layers; a nested model's layers under its group's layers/),
keyed by the layer's name in the config, a nested model's weights as one list in layer order.

Used by kiln_in_tfjs.js; run with Debian's h5py:
    /usr/bin/python3 api/src/test/golden/keras_archive_dump.py MODEL.keras
"""
import io
import json
import re
import sys
import zipfile

import h5py


def snake(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


MODELS = ("Sequential", "Functional", "Model")


def layer_weights(f, layers, prefix):
    """Each layer's weights under prefix, keyed by name; a nested model's as one flat list."""
    seen = {}
    out = {}
    for layer in layers:
        cls = layer["class_name"]
        if cls == "InputLayer":
            continue
        key = snake(cls)
        n = seen.get(key, 0)
        seen[key] = n + 1
        group = prefix + key + ("" if n == 0 else "_" + str(n))
        name = layer["config"]["name"]
        if cls in MODELS:
            inner = layer_weights(f, layer["config"]["layers"], group + "/layers/")
            out[name] = [w for ws in inner.values() for w in ws]
            continue
        for vars_path in (group + "/vars", group + "/cell/vars"):
            if vars_path in f and len(f[vars_path]) > 0:
                v = f[vars_path]
                out[name] = [
                    {"shape": list(v[str(i)].shape), "values": v[str(i)][()].astype("float64").reshape(-1).tolist()}
                    for i in range(len(v))
                ]
    return out


with zipfile.ZipFile(sys.argv[1]) as z:
    config = json.loads(z.read("config.json"))
    f = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
    weights = layer_weights(f, config["config"]["layers"], "layers/")
    json.dump({"config": config, "weights": weights}, sys.stdout)
