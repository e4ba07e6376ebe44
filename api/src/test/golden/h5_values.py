"""Values of the HDF5 sample files, read by h5py (an implementation independent of io.jhdf and Kiln).

Run with Debian's h5py (apt-get install python3-h5py):
    /usr/bin/python3 api/src/test/golden/h5_values.py
It writes ../resources/golden/h5-values.json: for each file, for each dataset, its shape, its first
four values (flattened, C order) and the sum of all its values.
"""
import io
import json
import os
import zipfile

import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "resources", "keras-config-samples")
OUT = os.path.join(HERE, "..", "resources", "golden", "h5-values.json")


def datasets(f):
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            v = obj[()]
            flat = v.reshape(-1) if hasattr(v, "reshape") else [v]
            out[name] = {
                "shape": list(obj.shape),
                "first": [float(x) for x in flat[:4]],
                "sum": float(sum(float(x) for x in flat)),
            }

    f.visititems(visit)
    return out


result = {}
h5dir = os.path.join(SAMPLES, "keras2-hdf5")
for name in sorted(os.listdir(h5dir)):
    with h5py.File(os.path.join(h5dir, name), "r") as f:
        result["keras2-hdf5/" + name] = datasets(f)
archive = "keras3/keras-test_pre_pr22362_nested_container.keras"
with zipfile.ZipFile(os.path.join(SAMPLES, archive)) as z:
    with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
        result[archive] = datasets(f)
with open(OUT, "w") as out:
    json.dump(result, out, indent=1, sort_keys=True)
    out.write("\n")
print("wrote", OUT)
