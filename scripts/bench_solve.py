"""Time each decoding strategy with a trained model: batched, and one puzzle at a time.

For oneshot, iterative (--per-step cells per pass) and search it prints the solve rate,
the mean network calls and puzzles per second, first with all puzzles in one batch, then
for the first --single puzzles one by one (a batch of one pays the full cost of every
network call). Every reported solve is a board checked against the rules. The model
decodes at the settings it carries (`sudoku-tf defaults`; search at its own symmetries and
threshold, where the model carries them), as `solve` and `eval` use it, or with
--as-trained at its trained passes alone.

Usage:
    python scripts/bench_solve.py --model models/default.npz
    python scripts/bench_solve.py --as-trained --strategy iterative
    python scripts/bench_solve.py --limit 200 --single 20 --strategy search
    python scripts/bench_solve.py --data /path/to/puzzles.txt --per-step 3 --batch-size 64
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from sudoku_tf import Solver, load_model
from sudoku_tf.board import PuzzleError
from sudoku_tf.data import load_dataset
from sudoku_tf.decode import BATCH_SIZE, MAX_CALLS, STRATEGIES
from sudoku_tf.nn import ModelFileError

DEFAULT_DATA = "data/eval1000.csv"          # the 1,000-puzzle evaluation set


def run(solver: Solver, puzzles: np.ndarray, batched: bool) -> tuple:
    """Solve rate, mean network calls and puzzles per second of one strategy."""
    groups = [puzzles] if batched else [p[None] for p in puzzles]
    start = time.perf_counter()
    results = [solver.decode(g) for g in groups]
    seconds = time.perf_counter() - start
    solved = np.concatenate([r.solved for r in results])
    calls = np.concatenate([r.calls for r in results])
    return solved.mean(), calls.mean(), len(puzzles) / seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/default.npz", help="trained model file")
    parser.add_argument("--data", default=DEFAULT_DATA, help="puzzle file (any format)")
    parser.add_argument("--limit", type=int, default=1000, help="puzzles in the batched runs")
    parser.add_argument("--single", type=int, default=50, help="puzzles run one at a time")
    parser.add_argument("--strategy", action="append", choices=STRATEGIES,
                        help="strategy to time (repeatable; default: all)")
    parser.add_argument("--per-step", type=int, default=1, help="cells per pass (iterative)")
    parser.add_argument("--max-calls", type=int, default=MAX_CALLS, help="network calls (search)")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                        help="boards per network call")
    parser.add_argument("--as-trained", action="store_true",
                        help="ignore the settings the model carries: its trained passes alone")
    args = parser.parse_args(argv)
    try:
        loaded = load_model(args.model)
        puzzles = load_dataset(args.data)[0][:args.limit]
    except (ModelFileError, PuzzleError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{'strategy':<10} {'mode':<7} {'n':>5} {'solved':>7} {'calls':>7} {'puzzles/s':>10}")
    for strategy in args.strategy or STRATEGIES:
        solver = Solver(loaded, strategy=strategy, per_step=args.per_step,
                        max_calls=args.max_calls, batch_size=args.batch_size,
                        as_trained=args.as_trained)
        used = solver.settings
        print(f"{args.data}: {len(puzzles)} puzzles, model {args.model}, {strategy} at "
              f"symmetries {used['symmetries']}, passes {used['passes']}, threshold "
              f"{used['threshold']}", file=sys.stderr)
        for batched, subset in ((True, puzzles), (False, puzzles[:args.single])):
            if len(subset):
                rate, calls, speed = run(solver, subset, batched)
                mode = "batch" if batched else "single"
                print(f"{strategy:<10} {mode:<7} {len(subset):>5} {rate:>7.1%} {calls:>7.2f}"
                      f" {speed:>10.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
