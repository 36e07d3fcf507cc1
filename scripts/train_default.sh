#!/usr/bin/env bash
# The default model's training chain: configs/v1.json, v2.json, ... v9.json in order,
# phase vN writing runs/vN/vN.npz, each starting from the weights its config's init_from
# names (the phase before's output).
#
# Usage: scripts/train_default.sh [PHASE...] [-- extra train flags]
#   scripts/train_default.sh                    # v1 to v9
#   scripts/train_default.sh v9 -- --max-minutes 60
# A phase whose model exists is skipped; one stopped midway resumes from its checkpoint
# (NAME.ckpt.npz beside it). v8 starts from v7's final weights, which v7's output (its
# best evaluation, step 2,000) does not hold: the shipped v7 is
# `git show d888906:models/default.npz > runs/v7/v7-final.npz`.
set -euo pipefail
PHASES=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do PHASES+=("$1"); shift; done
[ $# -gt 0 ] && shift
[ ${#PHASES[@]} -gt 0 ] || PHASES=(v1 v2 v3 v4 v5 v6 v7 v8 v9)
# the library splits each batch over the cores itself (shard threads); BLAS threads on
# top of those only wait for each other
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
for phase in "${PHASES[@]}"; do
    out=runs/$phase/$phase.npz
    if [ -f "${out%.npz}.ckpt.npz" ]; then
        sudoku-tf train --resume "${out%.npz}.ckpt.npz" --out "$out" "$@"
    elif [ ! -f "$out" ]; then
        sudoku-tf train --config "configs/$phase.json" --out "$out" "$@"
    fi
done
