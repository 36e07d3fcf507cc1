#!/usr/bin/env bash
# The recipe of the recurrent default model (v2): the v1 network (models/default.npz at
# the time: 4 blocks, width 128, 8 heads, row/column/box positions) continued with
# prediction feedback, 2 graded passes after 0-6 gradient-free ones per step, puzzles
# drawn by difficulty and boards revealed to at most 50 givens.
#
# Usage: scripts/train_v2.sh [OUT] [extra train flags]
# Run it again after a stop to resume from OUT's checkpoint (NAME.ckpt.npz beside it);
# extra flags such as --max-minutes 60 apply to both a fresh run and a resumed one.
set -euo pipefail
OUT=${1:-runs/v2/v2.npz}
shift || true
CKPT="${OUT%.npz}.ckpt.npz"
INIT=${INIT:-models/default-v1.npz}
# the library splits each batch over the cores itself (shard threads); BLAS threads on
# top of those only wait for each other
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
if [ -f "$CKPT" ]; then
    exec sudoku-tf train --resume "$CKPT" --out "$OUT" "$@"
fi
exec sudoku-tf train --seed 2 --out "$OUT" --init-from "$INIT" --feedback --loops 8 \
    --grad-passes 2 --free-passes 0-6 --difficulty-power 1 --givens 17-50 \
    --lr 5e-4 --warmup 200 --steps 12000 --eval-every 2000 --eval-threshold 0.9 \
    --checkpoint-minutes 10 "$@"
