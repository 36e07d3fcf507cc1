#!/usr/bin/env bash
# Measures a model on the held-out test sets (and, if given, a folder of public puzzle
# files) and writes one JSON per set and strategy, RUN_SET.json; `python scripts/model_card.py
# add NAME OUT_DIR/*.json` folds them into models/results.csv, which the model card quotes.
#
# Usage: scripts/evaluate_model.sh [MODEL] [OUT_DIR] [PUBLIC_DIR]
# The test sets are made on first use with fixed seeds (the generator never saw the
# model's training seed). ROWS (default: all five) picks how each set is scored:
#   plain     iterative decoding by the plain network       -> iterative_NAME.json
#   averaged  iterative, averaged over SYMMETRIES (default 4) Sudoku symmetries of each
#             board                                         -> iterative-xS_NAME.json
#   default   iterative at the settings the model file carries (`sudoku-tf defaults`),
#             what `solve` and `eval` do without flags      -> iterative-default_NAME.json
#   search    search guided by the plain network            -> search_NAME.json
#   search-default  search at the model's own settings       -> search-default_NAME.json
# plain, averaged and search ignore the settings the model carries (--as-trained): they run
# the passes the model was trained with, or PASSES if set, and give --symmetries, so the
# model's carried settings do not change what those rows mean. Each run
# splits its batches over the cores (shard threads).
# SETS (default: all) picks sets by name, e.g. SETS="17-22 expert" ROWS="plain default".
set -euo pipefail
MODEL=${1:-models/default.npz}
OUT=${2:-runs/eval}
PUBLIC=${3:-}
SYMMETRIES=${SYMMETRIES:-4}
PASSES=${PASSES:-}
ROWS=${ROWS:-plain averaged default search search-default}
for row in $ROWS; do
    case $row in
        plain|averaged|default|search|search-default) ;;
        *) echo "evaluate_model.sh: unknown row '$row' in ROWS (plain, averaged, default, search, search-default)" >&2
           exit 2 ;;
    esac
done
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

write() {  # file, command...: the command's output, whole or not at all (.tmp is ignored by git)
    "${@:2}" > "$1.tmp" && mv "$1.tmp" "$1"
}

score() {  # puzzle file, name
    local eval=(sudoku-tf eval "$1" --model "$MODEL" --json)
    local iterative=(--strategy iterative --batch-size 256 --by-difficulty)
    local fixed=(--as-trained ${PASSES:+--passes "$PASSES"} --symmetries)
    for row in $ROWS; do
        case $row in
            plain) write "$OUT/iterative_$2.json" "${eval[@]}" "${iterative[@]}" "${fixed[@]}" 1 ;;
            averaged) write "$OUT/iterative-x${SYMMETRIES}_$2.json" \
                          "${eval[@]}" "${iterative[@]}" "${fixed[@]}" "$SYMMETRIES" ;;
            default) write "$OUT/iterative-default_$2.json" "${eval[@]}" "${iterative[@]}" ;;
            search) write "$OUT/search_$2.json" "${eval[@]}" --strategy search "${fixed[@]}" 1 ;;
            search-default) write "$OUT/search-default_$2.json" "${eval[@]}" --strategy search ;;
        esac
    done
}
for name in ${SETS:-36-45 28-35 23-27 17-22 21 expert}; do score "data/test_$name.csv" "$name"; done
if [ -n "$PUBLIC" ]; then
    for f in "$PUBLIC"/*.txt; do score "$f" "$(basename "$f" .txt)"; done
fi
python - "$OUT" <<'PY'
import json, pathlib, sys
print(f"{'set':<16}{'strategy':<19}{'puzzles':>8}{'solved':>9}{'cell acc':>10}{'calls':>8}{'puz/s':>8}")
for path in sorted(pathlib.Path(sys.argv[1]).glob("*_*.json")):
    r = json.loads(path.read_text())
    strategy, name = path.stem.split("_", 1)
    print(f"{name:<16}{strategy:<19}{r['puzzles']:>8}{r['solve_rate']:>9.1%}"
          f"{r['cell_accuracy']:>10.1%}{r['mean_calls']:>8.1f}{r['puzzles_per_second']:>8.1f}")
PY
