#!/usr/bin/env bash
# The GPU checks, run from a bundle that .ci/gpu-bundle assembled (this file is copied into it as
# run-gpu-checks.sh). Needs no Java on the machine: the bundle's own trimmed JDK is unpacked into a
# temporary directory. First runs every test class tagged `gpu` in the bundle's tests/ jars with
# the JUnit console launcher; where there is no GPU those tests are skipped with their reason. Then
# runs the GPU benchmark (dev.kiln.benchmarks.GpuBenchmark, with -Dkiln.cuda.executor=true): GEMM
# against cuBLAS and ResNet-50 training against PyTorch, which says "no GPU" and stops where there
# is none.
#
# Writes gpu-checks.txt (everything printed), junit/TEST-junit-jupiter.xml, gpu-benchmark.txt and
# gpu-benchmark.json under $OUT when it is set, else under KILN_GPU_REPORTS (default:
# gpu-check-reports beside the bundle, so the bundle itself stays as built). Exits non-zero when a
# test fails, when no gpu-tagged test is found, when nvidia-smi answers but every test skipped (3),
# or when the tests outlast KILN_GPU_CHECK_TIMEOUT seconds (default 300; a Java thread dump is
# printed first; 124 or 137); a failing test's status comes first. When the tests passed but the
# benchmark failed or was stopped, exits 4. The benchmark gets KILN_GPU_BENCH_TIMEOUT seconds
# (default 240; 0 skips it), less when the tests leave less of KILN_GPU_TOTAL_TIMEOUT (default 480,
# so that the whole run ends well inside the GPU machine's 10 minutes a command), and
# KILN_GPU_BENCH_ARGS is added to its arguments (see GpuBenchmark's Javadoc).
set -uo pipefail
bundle=$(cd "$(dirname "$0")" && pwd)
reports=${OUT:-${KILN_GPU_REPORTS:-$(dirname "$bundle")/gpu-check-reports}}
limit=${KILN_GPU_CHECK_TIMEOUT:-300}
total=${KILN_GPU_TOTAL_TIMEOUT:-480}
bench_limit=${KILN_GPU_BENCH_TIMEOUT:-240}
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
  0) tests_summary="GPU checks passed: $found tests found, ${aborted:-0} of them skipped (reasons above)" ;;
  3) tests_summary="GPU checks: nvidia-smi sees a GPU, yet all $found gpu tests were skipped (exit 3)" ;;
  124 | 137) tests_summary="GPU checks stopped after ${limit}s (KILN_GPU_CHECK_TIMEOUT; exit $status)" ;;
  *) tests_summary="GPU checks FAILED (exit $status)" ;;
esac
say "== $tests_summary"

# The benchmark runs whatever the tests gave: its numbers are wanted even when a test failed, and
# its own status never replaces theirs.
left=$((total - SECONDS - 15))
if [ "$bench_limit" -gt "$left" ]; then
  bench_limit=$left
fi
bench_summary=""
bench_status=0
if [ "${KILN_GPU_BENCH_TIMEOUT:-240}" = 0 ]; then
  bench_summary="GPU benchmark: skipped (KILN_GPU_BENCH_TIMEOUT=0)"
elif [ "$bench_limit" -lt 60 ]; then
  bench_summary="GPU benchmark: skipped, only ${left}s of KILN_GPU_TOTAL_TIMEOUT=${total}s left after the tests"
  bench_status=4
else
  say "== GPU benchmark (time limit ${bench_limit}s): dev.kiln.benchmarks.GpuBenchmark ${KILN_GPU_BENCH_ARGS:-}"
  bench_class_path=$(printf '%s:' "$bundle"/lib/*.jar)
  rm -f "$reports/gpu-benchmark.txt" "$reports/gpu-benchmark.json"
  # Its own watchdog stops it at the limit with what it measured; this timeout is for a JVM that
  # no longer answers. The heap is named: a VM whose memory grows as it is used reports little at
  # start, and the JVM would size its heap from that (the 8192 GEMMs hold ~2 GB of host arrays).
  # shellcheck disable=SC2086 # KILN_GPU_BENCH_ARGS is a list of arguments
  timeout --signal=QUIT --kill-after=15 "$((bench_limit + 30))" \
    "$java" @"$bundle/jvm.args" -Xmx16g -Dkiln.cuda.executor=true -cp "${bench_class_path%:}" \
    dev.kiln.benchmarks.GpuBenchmark --time-limit "$bench_limit" --out "$reports" \
    --torch-script "$bundle/python/torch_train.py" ${KILN_GPU_BENCH_ARGS:-} 2>&1 | tee -a "$log"
  bench_status=${PIPESTATUS[0]}
  result=$(head -n 1 "$reports/gpu-benchmark.txt" 2>/dev/null || echo "Kiln GPU benchmark: no report written")
  case $bench_status in
    0) bench_summary="GPU benchmark ran: ${result#Kiln GPU benchmark: }" ;;
    3) bench_summary="GPU benchmark stopped at its time limit of ${bench_limit}s; partial results in $reports/gpu-benchmark.txt" ;;
    124 | 137) bench_summary="GPU benchmark did not answer after $((bench_limit + 30))s and was killed (exit $bench_status)" ;;
    *) bench_summary="GPU benchmark FAILED (exit $bench_status): ${result#Kiln GPU benchmark: }" ;;
  esac
fi

say "== summary"
say "== $tests_summary"
say "== $bench_summary"
say "== reports: $log, $reports/junit, $reports/gpu-benchmark.txt and .json"
if [ "$status" = 0 ] && [ "$bench_status" != 0 ]; then
  status=4
fi
exit "$status"
