#!/usr/bin/env bash
# Compiles every kernel source in this folder to PTX for each target architecture and writes
# the PTX and a manifest under src/main/resources/dev/kiln/engine/cuda/ptx/. Run it after editing
# any .cu or .cuh file, and commit what it writes: the Maven build never needs nvcc, and a test
# fails while the manifest's source checksum differs from the sources.
#
#   backend-native/src/main/cuda/build-ptx.sh   (NVCC=/path/to/nvcc, PTXAS=/path/to/ptxas to pick others)
#
# PTX for the lowest architecture is JIT-compiled by the driver on any newer GPU; the newer
# targets let the driver start from code that already uses their instructions.
#
# nvcc stamps its own PTX ISA version (9.0 for CUDA 13), which only drivers of the same release
# can load. Each file's .version is lowered to the oldest ISA that has its target (6.4 for sm_75,
# 7.0 for sm_80, 7.8 for sm_90), and ptxas then assembles the file at that version: ptxas refuses
# any instruction or directive newer than the declared version, so a file that passes uses nothing
# an older driver lacks. Drivers from CUDA 10.1 (sm_75), 11.0 (sm_80) and 11.8 (sm_90) load them.
set -euo pipefail
export LC_ALL=C
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../resources/dev/kiln/engine/cuda/ptx"
nvcc="${NVCC:-nvcc}"
ptxas="${PTXAS:-$(dirname "$(command -v "$nvcc")")/ptxas}"
archs=(75 80 90)
declare -A isa=([75]=6.4 [80]=7.0 [90]=7.8)
# -lineinfo and -G are left out: they embed file paths and make the PTX differ between machines.
flags=(-std=c++17 -ptx -O3)

cd "$here"
sources=$(ls *.cu | sort)
for arch in "${archs[@]}"; do
  mkdir -p "$out/sm_$arch"
  rm -f "$out/sm_$arch"/*.ptx
  for src in $sources; do
    ptx="$out/sm_$arch/${src%.cu}.ptx"
    "$nvcc" "${flags[@]}" -arch=compute_$arch -o "$ptx" "$src"
    sed -i "s/^\.version [0-9.]*\$/.version ${isa[$arch]}/" "$ptx"
    if ! "$ptxas" -arch=sm_$arch -o /dev/null "$ptx"; then
      echo "$ptx does not assemble at PTX ISA ${isa[$arch]}: raise isa[$arch] in $0" >&2
      exit 1
    fi
  done
done

checksum=$(cat $(ls *.cu *.cuh | sort) | sha256sum | cut -d' ' -f1)
version=$("$nvcc" --version | grep -o 'release [0-9.]*, V[0-9.]*' | head -1)
{
  echo "# Written by backend-native/src/main/cuda/build-ptx.sh; do not edit."
  echo "sources.sha256=$checksum"
  echo "sources=$(echo $sources | tr ' ' ',')"
  echo "archs=$(printf 'sm_%s,' "${archs[@]}" | sed 's/,$//')"
  echo "isa=$(for a in "${archs[@]}"; do printf 'sm_%s:%s,' "$a" "${isa[$a]}"; done | sed 's/,$//')"
  echo "nvcc=$version"
  echo "flags=${flags[*]}"
} > "$out/manifest.properties"
du -sb "$out" | cut -f1 | xargs -I{} echo "PTX written to $out ({} bytes)"
