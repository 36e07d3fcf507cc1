#!/usr/bin/env bash
# The recipes that continued the default model from one version to the next.
#
# v2: the v1 network (models/default-v1.npz: 4 blocks, width 128, 8 heads, row/column/box
# positions, 2 weight-tied passes) continued with prediction feedback (its projection
# starts at zero, so step 0 computes what v1 did), both passes graded, puzzles drawn by
# difficulty (solver guesses), at a lower rate.
# (A first recipe, 8 passes of which 2 graded after 0-6 gradient-free ones, lost half of
# v1's solve rate in 3,000 steps; models/README.md has its numbers.)
#
# v3: v2 continued with three graded passes, the number v2 is used with (a third pass at
# test time helped v2 on every test set), at a lower peak rate.
#
# v4: v3 (models/default.npz at commit 2ac6ded) continued with four graded passes, again the
# number one pass beyond the trained depth at which v3's one-call accuracy peaks.
#
# v5: v4 (models/default.npz at commit 19e0367) continued with five graded passes, where
# v4's one-call accuracy peaks.
#
# v6: v5 (models/default.npz at commit 595cd58) continued with the same five graded passes,
# for longer and from a new seed: v5's evaluations were still rising when it stopped.
# It solved no more than v5 and was not shipped (models/README.md, Phase 6).
#
# v7: v6 (models/v6.npz) continued at five graded passes with half of the boards taken on
# their puzzle's path of naked and hidden singles (easy cells filled first, the way
# iterative decoding meets a puzzle) instead of random reveals.
#
# v8: v7 (models/default.npz at commit 83737e5) continued with three boards in four on the
# path of singles (v7: half), the kept weights picked on held-out 22-given puzzles
# (data/eval_22.csv, its own seed, made below if missing) instead of random reveals.
#
# v9: v8 (its OUT, the weights models/default.npz shipped at commit 4baa42f) continued with
# six graded passes, v8's recipe otherwise: v8's one-call accuracy still rises from five
# passes to six and seven (models/README.md, Test-time passes), and one more graded pass
# is what moved v3 to v5 (a longer run at the same depth did not: v6).
#
# v10: v9 (models/default.npz at commit bd85d05) continued with seven graded passes, v9's
# recipe otherwise, for 3,000 steps: v9's held-out evaluations were still rising when it
# stopped, and each graded pass added so far (v3 to v5, v9) moved the solve rates.
# At step 1,000 (the first evaluation) it trailed v9's run at the same step on the
# held-out 22-given puzzles and solved fewer held-out 23-27-given puzzles than v9 at more
# than twice the calls; it was stopped there (models/README.md, Phase 10).
#
# v11: v9 (models/default.npz at commit bd85d05) continued at six graded passes, v9's
# recipe otherwise, on puzzles with fewer givens: every pool puzzle walked down to 20-24 givens
# (`--walk 20-24`; v9's pool holds minimal puzzles of about 22-27 givens from random
# removal), the pool growing 0.4 puzzles a step since walked puzzles are slower to make.
# Its held-out 23-27-given puzzles came out as v9's; not shipped (models/README.md, Phase 11).
#
# Usage: [INIT=model.npz] scripts/continue_training.sh v2|...|v11 [OUT] [extra train flags]
# INIT defaults to the model the recipe starts from (v3: v2's default OUT; v4: v3's, or
# `git show 2ac6ded:models/default.npz > runs/v3/v3.npz`; v5: v4's, or
# `git show 19e0367:models/default.npz > runs/v4/v4.npz`; v6: v5's, or
# `git show 595cd58:models/default.npz > runs/v5/v5.npz`; v8: v7's final weights, which
# v7's OUT does not hold (its trainer kept step 2,000):
# `git show 83737e5:models/default.npz > runs/v7/v7-final.npz`; v9: v8's OUT, or
# `git show 4baa42f:models/default.npz > runs/v8/v8.npz`; v10: v9's OUT, or
# `git show bd85d05:models/default.npz > runs/v9/v9.npz`; v11: the same). Run it again after a stop to
# resume from OUT's checkpoint (NAME.ckpt.npz beside it); extra flags such as
# --max-minutes 60 apply to both a fresh run and a resumed one.
set -euo pipefail
STAGE=${1:-}
case $STAGE in
    v2) INIT=${INIT:-models/default-v1.npz}; RECIPE=(--seed 3 --loops 2 --lr 3e-4 --steps 8000) ;;
    v3) INIT=${INIT:-runs/v2/v2.npz}; RECIPE=(--seed 4 --loops 3 --lr 2e-4 --steps 7000) ;;
    v4) INIT=${INIT:-runs/v3/v3.npz}; RECIPE=(--seed 5 --loops 4 --lr 2e-4 --steps 7000) ;;
    v5) INIT=${INIT:-runs/v4/v4.npz}; RECIPE=(--seed 6 --loops 5 --lr 2e-4 --steps 6000) ;;
    v6) INIT=${INIT:-runs/v5/v5.npz}; RECIPE=(--seed 7 --loops 5 --lr 2e-4 --steps 6500) ;;
    v7) INIT=${INIT:-models/v6.npz}; RECIPE=(--seed 8 --loops 5 --lr 2e-4 --steps 6000 --path-share 0.5) ;;
    v8) INIT=${INIT:-runs/v7/v7-final.npz}; RECIPE=(--seed 9 --loops 5 --lr 2e-4 --steps 5000 --path-share 0.75
                                              --eval-data data/eval_22.csv --eval-every 1000) ;;
    v9) INIT=${INIT:-runs/v8/v8.npz}; RECIPE=(--seed 10 --loops 6 --lr 2e-4 --steps 4000 --path-share 0.75
                                              --eval-data data/eval_22.csv --eval-every 1000) ;;
    v10) INIT=${INIT:-runs/v9/v9.npz}; RECIPE=(--seed 11 --loops 7 --lr 2e-4 --steps 3000 --path-share 0.75
                                               --eval-data data/eval_22.csv --eval-every 1000) ;;
    v11) INIT=${INIT:-runs/v9/v9.npz}; RECIPE=(--seed 12 --loops 6 --lr 2e-4 --steps 2500 --path-share 0.75
                                               --walk 20-24 --pool-per-step 0.4
                                               --eval-data data/eval_22.csv --eval-every 500) ;;
    *) echo "usage: scripts/continue_training.sh v2|...|v11 [OUT] [train flags]" >&2; exit 2 ;;
esac
OUT=${2:-runs/$STAGE/$STAGE.npz}
shift $(( $# < 2 ? $# : 2 ))
CKPT="${OUT%.npz}.ckpt.npz"
[ -f data/eval_22.csv ] || sudoku-tf generate -n 256 --givens 22 --seed 2222 --time-budget 120 \
    -o data/eval_22.csv
# the library splits each batch over the cores itself (shard threads); BLAS threads on
# top of those only wait for each other
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
if [ -f "$CKPT" ]; then
    exec sudoku-tf train --resume "$CKPT" --out "$OUT" "$@"
fi
# the recipe comes after the common flags, so its own --eval-every wins
exec sudoku-tf train --feedback --difficulty-power 1 --warmup 200 --eval-every 2000 \
    --checkpoint-minutes 10 "${RECIPE[@]}" --out "$OUT" --init-from "$INIT" "$@"
