#!/usr/bin/env bash
# Measures a model on the held-out test sets (and, if given, a folder of public puzzle
# files) and writes one JSON per set and strategy; models/README.md quotes them.
#
# Usage: scripts/evaluate_model.sh [MODEL] [OUT_DIR] [PUBLIC_DIR]
# The test sets are made on first use with fixed seeds (the generator never saw the
# model's training seed). Each set is scored with iterative decoding by the plain network,
# with iterative decoding averaged over SYMMETRIES (default 4) Sudoku symmetries of each
# board, and with search (plain network); each run splits its batches over the cores
# (shard threads). Every run gives --symmetries and --passes (PASSES, default 2: what the
# shipped models were trained with), so settings the model file carries (see
# `sudoku-tf defaults`) do not change what each row means. SETS (default: all) picks
# sets by name, e.g. SETS="17-22 expert"; SYMMETRIES=1 skips the averaged run.
set -euo pipefail
MODEL=${1:-models/default.npz}
OUT=${2:-models/results}
PUBLIC=${3:-}
SYMMETRIES=${SYMMETRIES:-4}
PASSES=${PASSES:-2}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
mkdir -p "$OUT"

make_set() {  # name, givens, seed, extra flags
    [ -f "data/test_$1.csv" ] || sudoku-tf generate -n 1000 --givens "$2" --seed "$3" "${@:4}" -o "data/test_$1.csv"
}
make_set 36-45 36-45 3645
make_set 28-35 28-35 2835
make_set 23-27 23-27 2327
make_set 17-22 22 1722 --time-budget 120
make_set 21 21 2121 --time-budget 300
make_set expert 21-30 5150 --difficulty expert --time-budget 600

score() {  # puzzle file, name
    sudoku-tf eval "$1" --model "$MODEL" --strategy iterative --batch-size 256 --symmetries 1 \
        --passes "$PASSES" --by-difficulty --json > "$OUT/iterative_$2.json"
    if [ "$SYMMETRIES" -gt 1 ]; then
        sudoku-tf eval "$1" --model "$MODEL" --strategy iterative --batch-size 256 \
            --symmetries "$SYMMETRIES" --passes "$PASSES" --by-difficulty --json > "$OUT/iterative-x${SYMMETRIES}_$2.json"
    fi
    sudoku-tf eval "$1" --model "$MODEL" --strategy search --symmetries 1 --passes "$PASSES" --json > "$OUT/search_$2.json"
}
for name in ${SETS:-36-45 28-35 23-27 17-22 21 expert}; do score "data/test_$name.csv" "$name"; done
if [ -n "$PUBLIC" ]; then
    for f in "$PUBLIC"/*.txt; do score "$f" "$(basename "$f" .txt)"; done
fi
python - "$OUT" <<'PY'
import json, pathlib, sys
print(f"{'set':<16}{'strategy':<10}{'puzzles':>8}{'solved':>9}{'cell acc':>10}{'calls':>8}{'puz/s':>8}")
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    r = json.loads(path.read_text())
    strategy, name = path.stem.split("_", 1)
    print(f"{name:<16}{strategy:<10}{r['puzzles']:>8}{r['solve_rate']:>9.1%}"
          f"{r['cell_accuracy']:>10.1%}{r['mean_calls']:>8.1f}{r['puzzles_per_second']:>8.1f}")
PY
