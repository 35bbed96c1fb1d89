#!/usr/bin/env bash
# Runs Kiln's GPU checks on a machine with an NVIDIA GPU but no JDK (the team's device tool), from the repository
# root, with .gpu/ built by bench/gpu/bundle.sh beside it. Each STEP writes its output to $OUT/STEP.log (OUT defaults
# to ./gpu-out) and a failing step does not stop the next; the exit status is the first failing step's.
#   info     nvidia-smi, the runtime, nvcc, and the devices example (what Kiln sees)
#   tests    the GPU test classes (GPU_TESTS, default: every class that needs a GPU) through TestMain
#   train    ./kiln train lenet --device cuda on synthetic data, one epoch (TRAIN_ARGS to change)
#   bench    kiln bench --device cuda --json over BENCH_WORKLOADS (default: the training steps, inference, sgemm, eltwise)
#   torch    bench/torch_cuda_ref.py, PyTorch eager on the same GPU, the same workloads
# Usage: bench/gpu/on-device.sh STEP ...
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
OUT=${OUT:-$ROOT/gpu-out}
mkdir -p "$OUT"
# shellcheck source=../../kiln
source ./kiln
set +e   # ./kiln sets -e; here a failing step must not stop the next
kiln_jvm_flags
JRE=/tmp/kiln-jre-$(cksum < .gpu/jre.tar.xz | cut -d' ' -f1)     # this bundle's runtime, not an older one left there
[[ -x $JRE/jre/bin/java ]] || { mkdir -p "$JRE" && tar -C "$JRE" -xJf .gpu/jre.tar.xz; }
JAVA=$JRE/jre/bin/java
export KILN_CACHE=${KILN_CACHE:-$ROOT/.gpu/cache}
GPU_TESTS=${GPU_TESTS:-dev.kiln.codegen.cuda.GpuTest dev.kiln.dsl.GpuWorkloadsTest}
BENCH_WORKLOADS=${BENCH_WORKLOADS:-lenet_b64_step lenet_b1_step lenet_b64_infer mlp784_adam_b64_step tiny_rmsprop_b32_step seed002_step sgemm_1024 sgemm_4096 eltwise_chain_4m}
TRAIN_ARGS=${TRAIN_ARGS:---dataset synthetic --epochs 1}

kiln() { "$JAVA" "${KILN_JVM_FLAGS[@]}" ${KILN_JAVA_OPTS:-} -cp ".gpu/lib/*" dev.kiln.examples.Main "$@"; }

step() {
  local name=$1 start=$SECONDS
  shift
  echo "== $name" | tee -a "$OUT/steps.log"
  "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  echo "== $name: exit $rc after $((SECONDS - start)) s" | tee -a "$OUT/steps.log"
  (( status != 0 || rc == 0 )) || status=$rc
  tail -n 40 "$OUT/$name.log"
}

info() { nvidia-smi; "$JAVA" -version; nvcc --version; kiln run devices; }
# shellcheck disable=SC2086  # GPU_TESTS is a list of class names
tests() { "$JAVA" "${KILN_JVM_FLAGS[@]}" -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=2 -Dkiln.golden.dir=testdata/golden -cp ".gpu:.gpu/lib/*" TestMain $GPU_TESTS; }
# shellcheck disable=SC2086
train() { kiln train lenet --device cuda $TRAIN_ARGS --out "$OUT/train"; }
# shellcheck disable=SC2086
bench() { kiln bench --device cuda --json $BENCH_WORKLOADS; }
# shellcheck disable=SC2086
torch() { python3 bench/torch_cuda_ref.py $BENCH_WORKLOADS; }

status=0
for s in "$@"; do
  case "$s" in
    info|tests|train|bench|torch) step "$s" "$s" ;;
    *) echo "on-device.sh: unknown step '$s' (info, tests, train, bench, torch)" >&2; exit 2 ;;
  esac
done
exit "$status"
