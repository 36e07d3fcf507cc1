#!/usr/bin/env bash
# The ablation behind the default model's choices: row/column/box positions versus one
# learned table per cell, and two weight-tied passes versus one, on a smaller model
# (d_model 64, 4 heads, d_ff 128, 4 blocks), same seed and schedule, scored at step 1500.
#
# Usage: scripts/ablate.sh [OUT_DIR]     (about 45 minutes on one core)
set -euo pipefail
OUT=${1:-runs/ablate}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
common="--d-model 64 --heads 4 --d-ff 128 --blocks 4 --steps 2000 --eval-every 500 --eval-size 256 --seed 1 -q"
run() {  # name, flags: train until the step-1500 evaluation is logged, then stop
    local name=$1; shift
    sudoku-tf train $common "$@" --out "$OUT/$name.npz" &
    local pid=$!
    until grep -q '"step": 1500' "$OUT/$name.log.jsonl" 2>/dev/null; do sleep 5; done
    kill -INT $pid; wait $pid
}
mkdir -p "$OUT"
run rcb_loops2 --positions rcb --passes 2
run learned_loops2 --positions learned --passes 2
run rcb_loops1 --positions rcb --passes 1
python - "$OUT" <<'PY'
import json, pathlib, sys
print(f"{'run':<16}{'step':>6}{'cell acc':>10}{'solved':>8}")
for log in sorted(pathlib.Path(sys.argv[1]).glob("*.log.jsonl")):
    for line in log.read_text().splitlines():
        r = json.loads(line)
        if "step" in r:
            print(f"{log.name.split('.')[0]:<16}{r['step']:>6}{r['cell_accuracy']:>10.3f}{r['solve_rate']:>8.3f}")
PY
