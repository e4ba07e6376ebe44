#!/usr/bin/env python3
"""Writes the first test image of each Fashion-MNIST class as an 8-bit grayscale PNG named
<test index>-<label>.png, and labels.txt (the class names in label order), from
data/fashion-mnist. Needs NumPy only. Run from the repository root."""
import gzip
import struct
import zlib

import numpy as np

NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
OUT = "data/images/fashion-mnist/"


def read(path, offset):
    with gzip.open(path) as f:
        return np.frombuffer(f.read()[offset:], np.uint8)


def png(path, pixels):
    rows = b"".join(b"\x00" + pixels[r].tobytes() for r in range(pixels.shape[0]))

    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", pixels.shape[1], pixels.shape[0], 8, 0, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


images = read("data/fashion-mnist/t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
labels = read("data/fashion-mnist/t10k-labels-idx1-ubyte.gz", 8)
for c, name in enumerate(NAMES):
    i = int(np.argmax(labels == c))
    slug = name.lower().replace("/", "-").replace(" ", "-")
    png(f"{OUT}{i:04d}-{slug}.png", images[i])
with open(OUT + "labels.txt", "w") as f:
    f.write("\n".join(NAMES) + "\n")
