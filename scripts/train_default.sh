#!/usr/bin/env bash
# The recipe of models/default.npz: the TrainConfig defaults, seed 1, one BLAS thread.
#
# Usage: scripts/train_default.sh [OUT] [extra train flags]
# Run it again after a stop to resume from OUT's checkpoint (NAME.ckpt.npz beside it);
# extra flags such as --max-minutes 60 apply to both a fresh run and a resumed one.
set -euo pipefail
OUT=${1:-runs/default/default.npz}
shift || true
CKPT="${OUT%.npz}.ckpt.npz"
# small matmuls run faster on one thread than on two that wait for each other
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
if [ -f "$CKPT" ]; then
    exec sudoku-tf train --resume "$CKPT" --out "$OUT" "$@"
fi
exec sudoku-tf train --seed 1 --out "$OUT" "$@"
