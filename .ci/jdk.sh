# Sourced by .ci/run, benchmarks/run and samples/run: makes sure a JDK 25 or newer runs the build.
# Where the default java is older, it looks under /usr/lib/jvm and /opt (Debian keeps several JDKs
# side by side) and exports JAVA_HOME; with none found it stops with a message saying what to
# install. Afterwards KILN_JAVA is the java of that JDK, and that JDK's bin leads the PATH, so a
# script's own `java` runs the same JDK as ./mvnw (which follows JAVA_HOME), even where JAVA_HOME
# already named a JDK 25 and the PATH's java is older.

java_major() {
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n 1
}

kiln_use_jdk25() {
  local current=""
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    current=$(java_major "$JAVA_HOME/bin/java")
  elif command -v java >/dev/null 2>&1; then
    current=$(java_major java)
  fi
  if [ -z "$current" ] || [ "${current%%.*}" -lt 25 ]; then
    local found="" dir major
    for dir in /usr/lib/jvm/* /opt/java/* /opt/jdk*; do
      if [ -x "$dir/bin/java" ] && [ -x "$dir/bin/javac" ]; then
        major=$(java_major "$dir/bin/java")
        if [ -n "$major" ] && [ "${major%%.*}" -ge 25 ]; then
          found="$dir"
          break
        fi
      fi
    done
    if [ -z "$found" ]; then
      echo "error: Kiln needs JDK 25 or newer; found Java ${current:-none} and no JDK 25 under /usr/lib/jvm or /opt." >&2
      echo "       Install one (for example Temurin 25: https://adoptium.net) and set JAVA_HOME." >&2
      return 1
    fi
    export JAVA_HOME="$found"
    echo "Using JDK 25 at $JAVA_HOME"
  fi
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    export PATH="$JAVA_HOME/bin:$PATH"
    KILN_JAVA="$JAVA_HOME/bin/java"
  else
    KILN_JAVA="$(command -v java)"
  fi
  export KILN_JAVA
  # Maven's own Guice calls sun.misc.Unsafe; on JDK 25 that prints warnings unless allowed. The
  # flag lives here rather than in .mvn/jvm.config because an older JDK would refuse to start
  # with it, and then never reach the enforcer's message.
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
}
