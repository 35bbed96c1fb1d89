#!/usr/bin/env bash
# Builds .gpu/ (git-ignored): what a GPU machine with no JDK, no Maven and no network needs to run Kiln there, small
# enough for the team's device tool (64 MiB per call, carried as `.gpu`):
#   .gpu/jre.tar.xz   a jlinked Java runtime with the modules Kiln uses (xz: ~20 MB instead of ~90)
#   .gpu/lib/         Kiln's jars, their runtime dependencies, the GPU tests' classes and JUnit's launcher
#   .gpu/TestMain.class  runs JUnit classes without Maven (bench/gpu/TestMain.java)
# Then, on the GPU machine, from the repository root: bench/gpu/on-device.sh STEP ... (see there).
# Needs a built tree with test classes: mvn -B -o install -DskipTests (skipTests still compiles the tests).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=../../kiln
source ./kiln
jdk=$(kiln_find_jdk) || { kiln_no_jdk_message; exit 1; }
kiln_use_jdk "$jdk"
B=$ROOT/.gpu
mkdir -p "$B"
rm -rf "$B/lib" && mkdir -p "$B/lib"

if [[ ! -f "$B/jre.tar.xz" || "$B/jre.tar.xz" -ot "$JAVA_HOME/release" ]]; then
  tmp=$(mktemp -d)
  # uncompressed modules and stripped libraries, then xz over the whole image: half the size of jlink's zip-9
  "$JAVA_HOME/bin/jlink" --add-modules java.base,java.desktop,java.logging,java.management,jdk.incubator.vector,jdk.unsupported \
    --strip-debug --no-man-pages --no-header-files --compress=zip-0 --output "$tmp/jre" 2>/dev/null
  find "$tmp/jre" -name '*.so' -exec strip --strip-unneeded {} \;
  tar -C "$tmp" -cf - jre | xz -6 -T0 > "$B/jre.tar.xz"
  rm -rf "$tmp"
fi

# Class path: the examples' runtime class path (kiln's CLI) plus the test class paths of codegen-cuda and dsl, without
# the Kotlin test libraries (only Java test classes run there).
cp examples/target/kiln-examples.jar "$B/lib/"
for m in dsl codegen-cuda; do
  mvn -B -o -q dependency:build-classpath -pl "$m" -Dmdep.includeScope=test -Dmdep.outputFile="$B/cp-$m.txt" >/dev/null
done
for f in examples/target/classpath.txt "$B/cp-dsl.txt" "$B/cp-codegen-cuda.txt"; do tr ':' '\n' < "$f"; echo; done > "$B/cp-all.txt"
grep -v -E '/(io/kotest|com/github/ajalt|net/java/dev/jna|net/bytebuddy|io/github|org/jetbrains/kotlinx)/' "$B/cp-all.txt" \
  | sort -u | while read -r jar; do [[ -n "$jar" ]] && cp "$jar" "$B/lib/"; done
# JUnit's launcher, which surefire brings along in a Maven build
engine=$(basename "$B"/lib/junit-platform-engine-*.jar)
version=${engine#junit-platform-engine-}; version=${version%.jar}
cp ~/.m2/repository/org/junit/platform/junit-platform-launcher/"$version"/junit-platform-launcher-"$version".jar "$B/lib/"
for m in dsl codegen-cuda; do (cd "$m/target/test-classes" && "$JAVA_HOME/bin/jar" cf "$B/lib/kiln-$m-tests.jar" .); done
rm -f "$B"/cp-*.txt
"$JAVA_HOME/bin/javac" -d "$B" -cp "$B/lib/*" bench/gpu/TestMain.java
du -sh "$B/jre.tar.xz" "$B/lib"
