#!/usr/bin/env bash
# Runs `kiln bench` and the PyTorch reference (torch_ref.py) on the same workloads with the same thread count,
# one after the other, and prints a markdown table comparing their medians.
#
#   bench/compare.sh [--threads T] [--min-time S] [--repeat N] [--keep DIR] [WORKLOAD ...]
#
#   --threads T   threads for both sides (default 1): kiln bench --threads T; torch.set_num_threads(T) with
#                 OPENBLAS_NUM_THREADS=T OMP_NUM_THREADS=T
#   --min-time S  kiln's minimum timed seconds per workload (default 1.0; the reference always uses 1.0)
#   --repeat N    run both sides N times, alternating (default 1), and report each side's best median with the
#                 range of the medians: on a shared or busy machine interference only ever adds time
#   --keep DIR    also write the raw JSON lines to DIR/kiln.R.jsonl and DIR/torch.R.jsonl (R = run number)
# Environment: PYTHON (default /usr/bin/python3, Debian's, which has torch), TORCH_REF (default
# /work/shared/bench/torch_ref.py), KILN_JAVA_OPTS (passed on to ./kiln).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
TORCH_REF=${TORCH_REF:-/work/shared/bench/torch_ref.py}
threads=1
min_time=1.0
keep=""
repeat=1
workloads=()
while (( $# )); do
  case "$1" in
    --threads) threads=${2:?--threads needs a value}; shift 2 ;;
    --min-time) min_time=${2:?--min-time needs a value}; shift 2 ;;
    --repeat) repeat=${2:?--repeat needs a value}; shift 2 ;;
    --keep) keep=${2:?--keep needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
    *) workloads+=("$1"); shift ;;
  esac
done
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --threads must be a positive integer" >&2; exit 2; }
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --repeat must be a positive integer" >&2; exit 2; }
[[ -f "$TORCH_REF" ]] || { echo "compare.sh: no reference at $TORCH_REF (set TORCH_REF)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

kiln_status=0
torch_status=0
for (( r = 1; r <= repeat; r++ )); do
  echo "run $r/$repeat: kiln bench (threads $threads) ..." >&2
  "$ROOT/kiln" bench --json --threads "$threads" --min-time "$min_time" "${workloads[@]}" > "$tmp/kiln.$r.jsonl" || kiln_status=$?
  echo "run $r/$repeat: torch_ref.py (threads $threads) ..." >&2
  OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads \
    "$PYTHON" "$TORCH_REF" --threads "$threads" "${workloads[@]}" > "$tmp/torch.$r.jsonl" || torch_status=$?
done

if [[ -n "$keep" ]]; then
  mkdir -p "$keep"
  cp "$tmp"/*.jsonl "$keep/"
fi

"$PYTHON" - "$tmp" "$repeat" "$threads" <<'PY'
import json, os, sys

tmp, repeat, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def load(side):
    """workload -> every run's row, in run order"""
    rows = {}
    for r in range(1, repeat + 1):
        path = os.path.join(tmp, f"{side}.{r}.jsonl")
        if not os.path.exists(path):
            continue
        for line in open(path):
            line = line.strip()
            if line.startswith('{'):
                row = json.loads(line)
                rows.setdefault(row['workload'], []).append(row)
    return rows

kiln, torch = load('kiln'), load('torch')
best = lambda runs: min(runs, key=lambda row: row['median_us']) if runs else None
impl = lambda rows, default: next((rs[0]['impl'] for rs in rows.values()), default)
names = list(kiln) + [n for n in torch if n not in kiln]
print(f"threads: {threads}; kiln: {impl(kiln, 'kiln-jvm')}; reference: {impl(torch, 'pytorch')}"
      + (f"; best median of {repeat} runs each, range of the medians in brackets" if repeat > 1 else ""))
print()
head = "| workload | kiln median µs | pytorch median µs | kiln / pytorch | kiln GFLOP/s | pytorch GFLOP/s |"
print(head)
print("|---|---:|---:|---:|---:|---:|")

def cell(runs):
    b = best(runs)
    if not b:
        return "—"
    text = f"{b['median_us']:,.1f}"
    if len(runs) > 1:
        meds = [row['median_us'] for row in runs]
        text += f" [{min(meds):,.0f}–{max(meds):,.0f}]"
    return text

for n in names:
    k, t = best(kiln.get(n, [])), best(torch.get(n, []))
    ratio = f"{k['median_us'] / t['median_us']:.2f}×" if k and t else "—"
    kg = f"{k['gflops']:.2f}" if k and 'gflops' in k else ""
    tg = f"{t['gflops']:.2f}" if t and 'gflops' in t else ""
    print(f"| {n} | {cell(kiln.get(n, []))} | {cell(torch.get(n, []))} | {ratio} | {kg} | {tg} |")
PY

if (( kiln_status != 0 || torch_status != 0 )); then
  echo "compare.sh: kiln bench exited $kiln_status, torch_ref.py exited $torch_status" >&2
  exit 1
fi
