#!/usr/bin/env bash
# The GPU checks, run from a bundle that .ci/gpu-bundle assembled (this file is copied into it as
# run-gpu-checks.sh). Needs no Java on the machine: the bundle's own trimmed JDK is unpacked into a
# temporary directory. Runs every test class tagged `gpu` in the bundle's tests/ jars with the JUnit
# console launcher; where there is no GPU those tests are skipped with their reason.
#
# Writes gpu-checks.txt (everything printed) and junit/TEST-junit-jupiter.xml under $OUT when it is
# set, else under KILN_GPU_REPORTS (default: gpu-check-reports beside the bundle, so the bundle
# itself stays as built). Exits non-zero when a test fails, when no gpu-tagged test is found, when
# nvidia-smi answers but every test skipped, or when the run outlasts KILN_GPU_CHECK_TIMEOUT
# seconds (default 420; a Java thread dump is printed first).
set -uo pipefail
bundle=$(cd "$(dirname "$0")" && pwd)
reports=${OUT:-${KILN_GPU_REPORTS:-$(dirname "$bundle")/gpu-check-reports}}
limit=${KILN_GPU_CHECK_TIMEOUT:-420}
mkdir -p "$reports/junit" || exit 1
log="$reports/gpu-checks.txt"
: >"$log"

say() {
  echo "$@" | tee -a "$log"
}

say "== Kiln GPU checks, $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(uname -n)"
sed 's/^/   /' "$bundle/bundle.txt" | tee -a "$log"

say "== nvidia-smi"
gpu_seen=false
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi 2>&1 | tee -a "$log" && gpu_seen=true
else
  say "nvidia-smi: not found"
fi

# A driver mounted outside the loader's cache (as /usr/local/nvidia is on some GPU machines) is
# reachable through LD_LIBRARY_PATH, as a user would set it; the engine reads that variable too.
say "== libcuda.so.1"
ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
cached=$("$ldconfig" -p 2>/dev/null | grep 'libcuda\.so\.1 ' || true)
on_path=false
IFS=: read -ra dirs <<<"${LD_LIBRARY_PATH:-}"
for dir in "${dirs[@]}"; do
  if [ -n "$dir" ] && [ -e "$dir/libcuda.so.1" ]; then
    on_path=true
  fi
done
if [ -n "$cached" ]; then
  say "loader cache: $cached"
elif ! $on_path; then
  for dir in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
    if [ -e "$dir/libcuda.so.1" ]; then
      export LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
      say "not in the loader's cache; found in $dir, added to LD_LIBRARY_PATH"
      break
    fi
  done
fi
say "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-(unset)}"

# Python's NVIDIA wheels (cuBLAS, cuDNN, NVRTC) sit in the site-packages of python3's environment;
# the engine looks there when VIRTUAL_ENV names it, as it would for a user with that venv active.
if [ -z "${VIRTUAL_ENV:-}" ] && command -v python3 >/dev/null 2>&1; then
  prefix=$(python3 -c 'import sys; print(sys.prefix)' 2>/dev/null || true)
  if [ -n "$prefix" ] && compgen -G "$prefix/lib/python3*/site-packages/nvidia" >/dev/null; then
    export VIRTUAL_ENV="$prefix"
    say "== VIRTUAL_ENV=$prefix (python3's environment holds NVIDIA wheels)"
  fi
fi

jdk=$(mktemp -d "${TMPDIR:-/tmp}/kiln-gpu-jdk.XXXXXX") || exit 1
trap 'rm -rf "$jdk"' EXIT
if command -v xz >/dev/null 2>&1; then
  tar -xJf "$bundle/jdk.tar.xz" -C "$jdk"
elif command -v python3 >/dev/null 2>&1; then
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
    "$bundle/jdk.tar.xz" "$jdk"
else
  say "error: cannot unpack $bundle/jdk.tar.xz: neither xz nor python3 is on the PATH"
  exit 1
fi
java="$jdk/jdk/bin/java"
if [ ! -x "$java" ]; then
  say "error: $bundle/jdk.tar.xz holds no jdk/bin/java"
  exit 1
fi

class_path=$(printf '%s:' "$bundle"/lib/*.jar "$bundle"/tests/*.jar)
scan=$(printf '%s:' "$bundle"/tests/*.jar)
say "== JUnit: tests tagged gpu in $(cd "$bundle/tests" && echo *.jar)"
# SIGQUIT makes the JVM print every thread's stack, so a hang shows where it hung.
timeout --signal=QUIT --kill-after=15 "$limit" \
  "$java" @"$bundle/jvm.args" -cp "${class_path%:}" \
  org.junit.platform.console.ConsoleLauncher execute \
  --scan-class-path="${scan%:}" --include-engine=junit-jupiter --include-tag=gpu --fail-if-no-tests \
  --reports-dir="$reports/junit" \
  --details=tree --details-theme=ascii --disable-banner --disable-ansi-colors 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
count() {
  sed -n "s/^\[ *\([0-9]*\) tests $1 .*/\1/p" "$log" | tail -n 1
}
found=$(count found)
aborted=$(count aborted)
# Skipping every test is right without a GPU, and a fault (driver not found) where nvidia-smi
# answered; a run that reads as passed would hide it.
if [ "$status" = 0 ] && $gpu_seen && [ -n "$found" ] && [ "$found" = "$aborted" ]; then
  say "== nvidia-smi sees a GPU, yet all $found gpu tests were skipped: see their reasons above"
  status=3
fi
case $status in
  0) say "== GPU checks passed: $found tests found, ${aborted:-0} of them skipped (reasons above)" ;;
  3) ;;
  124 | 137) say "== GPU checks stopped after ${limit}s (KILN_GPU_CHECK_TIMEOUT)" ;;
  *) say "== GPU checks FAILED (exit $status)" ;;
esac
say "== reports: $log and $reports/junit"
exit "$status"
