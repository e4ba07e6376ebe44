#!/usr/bin/env bash
# Packs the CUDA GPU tests for a machine that has a GPU but no Java, and runs them there.
#
#   backend-native/src/test/sh/gpu-check.sh prepare [DIR]   # on the build machine, after
#       ./mvnw -o test-compile -pl backend-native -am; writes DIR (default target/gpu-check):
#       a jlink'ed JDK, the classes and jars, and run.sh; about 60 MB.
#   DIR/run.sh [REPORTS]                                    # on the GPU machine
#       runs the gpu-tagged tests (CudaSmokeTest, KernelsOnGpuTest, CudaConformanceTest,
#       CudaTrainingOnGpuTest) with the JUnit console launcher; XML reports go to REPORTS
#       (default $OUT when set, else DIR/reports). Exit status 3 when every test was skipped.
set -euo pipefail

mode="${1:-}"
root="$(cd "$(dirname "$0")/../../../.." && pwd)"
if [[ "$mode" != prepare ]]; then
  echo "usage: $0 prepare [DIR]" >&2
  exit 2
fi
dir="${2:-$root/target/gpu-check}"
java_home="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
console="$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/1.11.4/junit-platform-console-standalone-1.11.4.jar"
[[ -f "$console" ]] || { echo "missing $console (run Maven once online to fetch it)" >&2; exit 1; }
for d in backend-spi/target/classes backend-spi/target/test-classes \
  backend-native/target/classes backend-native/target/test-classes; do
  [[ -d "$root/$d" ]] || { echo "missing $root/$d: run ./mvnw -o test-compile -pl backend-native -am" >&2; exit 1; }
done

rm -rf "$dir"
mkdir -p "$dir/lib"
"$java_home/bin/jlink" --strip-debug --no-header-files --no-man-pages --compress=zip-9 \
  --add-modules java.base,jdk.incubator.vector,java.logging,java.xml,java.sql,java.naming,java.management,jdk.unsupported \
  --output "$dir/jre"
for d in backend-spi/target/classes backend-spi/target/test-classes \
  backend-native/target/classes backend-native/target/test-classes; do
  mkdir -p "$dir/lib/$(echo "$d" | tr / _)"
  cp -r "$root/$d/." "$dir/lib/$(echo "$d" | tr / _)/"
done
m2="$HOME/.m2/repository"
for jar in org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar \
  ch/qos/logback/logback-classic/1.5.18/logback-classic-1.5.18.jar \
  ch/qos/logback/logback-core/1.5.18/logback-core-1.5.18.jar; do
  cp "$m2/$jar" "$dir/lib/"
done
cp "$console" "$dir/lib/console.jar"

cat > "$dir/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the gpu-tagged CUDA tests with the packed JDK; exit status 0 when they pass.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
reports="${1:-${OUT:-$here/reports}}"
mkdir -p "$reports"
cp=""
for e in "$here"/lib/*; do
  [[ "$(basename "$e")" == console.jar ]] && continue
  cp="$cp:$e"
done
nvidia-smi > "$reports/nvidia-smi.txt" 2>&1 || true
"$here/jre/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  --add-modules jdk.incubator.vector -jar "$here/lib/console.jar" execute \
  --class-path "${cp#:}" --disable-banner --details=summary --reports-dir "$reports" \
  --select-class dev.kiln.engine.cuda.CudaSmokeTest \
  --select-class dev.kiln.engine.cuda.kernels.KernelsOnGpuTest \
  --select-class dev.kiln.engine.CudaTrainingOnGpuTest \
  --select-class dev.kiln.engine.CudaConformanceTest 2>&1 | tee "$reports/console.txt"
status="${PIPESTATUS[0]}"
if grep -Eq '\[ +0 tests successful' "$reports/console.txt"; then
  echo "no GPU test ran (no usable CUDA device?); see the aborted tests' reasons in $reports" >&2
  exit 3
fi
exit "$status"
RUN
chmod +x "$dir/run.sh"
du -sh "$dir"
