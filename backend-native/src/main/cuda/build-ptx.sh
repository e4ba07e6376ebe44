#!/usr/bin/env bash
# Compiles every kernel source in this folder to PTX for each target architecture and writes
# the PTX and a manifest under src/main/resources/dev/kiln/engine/cuda/ptx/. Run it after editing
# any .cu or .cuh file, and commit what it writes: the Maven build never needs nvcc, and a test
# fails while the manifest's source checksum differs from the sources.
#
#   backend-native/src/main/cuda/build-ptx.sh            (NVCC=/path/to/nvcc to pick another)
#
# PTX for the lowest architecture is JIT-compiled by the driver on any newer GPU; the newer
# targets let the driver start from code that already uses their instructions.
set -euo pipefail
export LC_ALL=C
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../resources/dev/kiln/engine/cuda/ptx"
nvcc="${NVCC:-nvcc}"
archs=(75 80 90)
# -lineinfo and -G are left out: they embed file paths and make the PTX differ between machines.
flags=(-std=c++17 -ptx -O3)

cd "$here"
sources=$(ls *.cu | sort)
for arch in "${archs[@]}"; do
  mkdir -p "$out/sm_$arch"
  rm -f "$out/sm_$arch"/*.ptx
  for src in $sources; do
    "$nvcc" "${flags[@]}" -arch=compute_$arch -o "$out/sm_$arch/${src%.cu}.ptx" "$src"
  done
done

checksum=$(cat $(ls *.cu *.cuh | sort) | sha256sum | cut -d' ' -f1)
version=$("$nvcc" --version | grep -o 'release [0-9.]*, V[0-9.]*' | head -1)
{
  echo "# Written by backend-native/src/main/cuda/build-ptx.sh; do not edit."
  echo "sources.sha256=$checksum"
  echo "sources=$(echo $sources | tr ' ' ',')"
  echo "archs=$(printf 'sm_%s,' "${archs[@]}" | sed 's/,$//')"
  echo "nvcc=$version"
  echo "flags=${flags[*]}"
} > "$out/manifest.properties"
du -sb "$out" | cut -f1 | xargs -I{} echo "PTX written to $out ({} bytes)"
