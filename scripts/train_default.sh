#!/usr/bin/env bash
# The recipe of models/default.npz: the TrainConfig defaults (18,000 steps of 64 boards), seed 1.
#
# Usage: scripts/train_default.sh [OUT] [extra train flags]
# Run it again after a stop to resume from OUT's checkpoint (NAME.ckpt.npz beside it);
# extra flags such as --max-minutes 60 apply to both a fresh run and a resumed one.
set -euo pipefail
OUT=${1:-runs/default/default.npz}
shift || true
CKPT="${OUT%.npz}.ckpt.npz"
# the library splits each batch over the cores itself (shard threads); BLAS threads on
# top of those only wait for each other
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
if [ -f "$CKPT" ]; then
    exec sudoku-tf train --resume "$CKPT" --out "$OUT" "$@"
fi
exec sudoku-tf train --seed 1 --out "$OUT" "$@"
