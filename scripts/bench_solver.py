"""Time the exact solver on one core: a generated easy set, a generated hard set, any files.

For each set it prints puzzles per second, the median and the worst time per puzzle, for
`solve` (first solution) and for `count_solutions(limit=2)` (the uniqueness proof the
generator runs), and checks every answer with `is_valid_solution`. Sets are generated
with fixed seeds (the hard one in parallel with --workers; only the timing is serial).

Usage:
    python scripts/bench_solver.py
    python scripts/bench_solver.py --easy 2000 --hard 100 --workers 2
    python scripts/bench_solver.py --hard 0 --file /path/to/puzzles.txt
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from sudoku_tf.board import count_givens, is_valid_solution
from sudoku_tf.data import load_dataset
from sudoku_tf.generator import PuzzleSpec, generate_puzzles
from sudoku_tf.solver import count_solutions, solve

EASY_GIVENS = (30, 40)
HARD_GIVENS = (21, 22)


def time_each(function, puzzles: np.ndarray) -> tuple[np.ndarray, list]:
    """Seconds per puzzle for `function(puzzle)`, and its results."""
    seconds, results = np.zeros(len(puzzles)), []
    for k, puzzle in enumerate(puzzles):
        start = time.perf_counter()
        results.append(function(puzzle))
        seconds[k] = time.perf_counter() - start
    return seconds, results


def bench_set(name: str, puzzles: np.ndarray) -> list[str]:
    """Table rows for one set; raises if the solver gives a wrong or missing answer."""
    givens = count_givens(puzzles)
    rows = []
    for task, function in (("solve", solve), ("count<=2", count_solutions)):
        seconds, results = time_each(function, puzzles)
        if task == "solve" and not all(s is not None and is_valid_solution(p, s)
                                       for p, s in zip(puzzles, results)):
            raise AssertionError(f"{name}: an invalid or missing solution")
        rows.append(f"{name:<12} {task:<9} {len(puzzles):>6} {givens.min():>3}-{givens.max():<3}"
                    f"{len(puzzles) / seconds.sum():>10.0f} {np.median(seconds) * 1e3:>9.2f}"
                    f" {seconds.max() * 1e3:>9.2f}")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--easy", type=int, default=2000, help="easy puzzles (30-40 givens)")
    parser.add_argument("--hard", type=int, default=100, help="hard puzzles (21-22 givens)")
    parser.add_argument("--file", action="append", default=[], help="also time a puzzle file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="processes for generating")
    args = parser.parse_args(argv)
    sets = []
    for name, n, givens in (("easy", args.easy, EASY_GIVENS), ("hard", args.hard, HARD_GIVENS)):
        if n > 0:
            print(f"generating {n} {name} puzzles ({givens[0]}-{givens[1]} givens)...",
                  file=sys.stderr)
            sets.append((name, generate_puzzles(n, PuzzleSpec(givens), args.seed,
                                                args.workers)[0]))
    sets += [(path.rsplit("/", 1)[-1][:12], load_dataset(path)[0]) for path in args.file]
    print(f"{'set':<12} {'task':<9} {'n':>6} givens {'puzzles/s':>9} {'median ms':>9}"
          f" {'worst ms':>9}")
    for name, puzzles in sets:
        print("\n".join(bench_set(name, puzzles)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
