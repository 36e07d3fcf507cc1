#!/usr/bin/env bash
# The recipe of the default model v2, in two phases.
#
# Phase 1: the v1 network (models/default-v1.npz: 4 blocks, width 128, 8 heads,
# row/column/box positions, 2 weight-tied passes) continued with prediction feedback (its
# projection starts at zero, so step 0 computes what v1 did), both passes graded, puzzles
# drawn by difficulty (solver guesses), at a lower rate.
# (A first recipe, 8 passes of which 2 graded after 0-6 gradient-free ones, lost half of
# v1's solve rate in 3,000 steps; models/README.md has its numbers.)
#
# Phase 2 (PHASE=2): phase 1's model continued with three graded passes, the number the
# model is used with (a third pass at test time helped phase 1's model on every set).
#
# Usage: [PHASE=2] [INIT=model.npz] scripts/train_v2.sh [OUT] [extra train flags]
# Run it again after a stop to resume from OUT's checkpoint (NAME.ckpt.npz beside it);
# extra flags such as --max-minutes 60 apply to both a fresh run and a resumed one.
set -euo pipefail
PHASE=${PHASE:-1}
if [ "$PHASE" = 2 ]; then
    OUT=${1:-runs/v2-phase2/v2.npz}
    INIT=${INIT:-runs/v2/v2.npz}                 # phase 1's output
else
    OUT=${1:-runs/v2/v2.npz}
    INIT=${INIT:-models/default-v1.npz}
fi
shift || true
CKPT="${OUT%.npz}.ckpt.npz"
# the library splits each batch over the cores itself (shard threads); BLAS threads on
# top of those only wait for each other
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
if [ -f "$CKPT" ]; then
    exec sudoku-tf train --resume "$CKPT" --out "$OUT" "$@"
fi
COMMON=(--out "$OUT" --init-from "$INIT" --feedback --difficulty-power 1 --givens 17-60
        --warmup 200 --eval-every 2000 --checkpoint-minutes 10)
if [ "$PHASE" = 2 ]; then
    exec sudoku-tf train --seed 4 "${COMMON[@]}" --loops 3 --lr 2e-4 --steps 7000 "$@"
fi
exec sudoku-tf train --seed 3 "${COMMON[@]}" --loops 2 --lr 3e-4 --steps 8000 "$@"
