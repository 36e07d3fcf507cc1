"""Puzzles per minute of `generate_puzzles` at a few givens counts, on worker processes.

Each level makes up to --count puzzles (one seed each, as `sudoku-tf generate` does)
and stops after --timeout seconds; a row reports how many were made and the rate, and
checks every puzzle for a unique solution and givens in range. Keep it short on a
shared machine:

    python scripts/bench_generator.py --count 8 --timeout 120 --workers 2
    python scripts/bench_generator.py --levels 17-24 --count 20
"""

from __future__ import annotations

import argparse
import multiprocessing
import time

import numpy as np

from sudoku_tf.board import count_givens
from sudoku_tf.generator import PuzzleSpec, generate_one
from sudoku_tf.solver import count_solutions


def _job(job):
    return generate_one(*job)


def bench_level(givens: tuple[int, int], count: int, timeout: float, workers: int,
                seed: int) -> tuple[int, float, np.ndarray]:
    """(puzzles made, seconds, their givens) for up to `count` puzzles within `timeout`."""
    spec = PuzzleSpec(givens, time_budget=timeout)
    jobs = [(spec, s) for s in np.random.SeedSequence(seed).spawn(count)]
    made = []
    start = time.monotonic()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        results = pool.imap_unordered(_job, jobs)
        try:
            while len(made) < count:
                left = timeout - (time.monotonic() - start)
                made.append(results.next(timeout=max(left, 0.001)))
        except (multiprocessing.TimeoutError, RuntimeError):
            pass                                    # out of time: a job ran out or we did
        seconds = time.monotonic() - start
        pool.terminate()
    for puzzle, _ in made:
        assert count_solutions(puzzle) == 1
    counts = np.array([count_givens(p) for p, _ in made], dtype=int)
    assert ((counts >= givens[0]) & (counts <= givens[1])).all()
    return len(made), seconds, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="22,21,20,19,18",
                        help="comma-separated givens counts or ranges LO-HI")
    parser.add_argument("--count", type=int, default=8, help="puzzles per level at most")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per level at most")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"| givens | made | seconds | puzzles/min ({args.workers} workers) | givens made |")
    print("| --- | ---: | ---: | ---: | --- |")
    for level in args.levels.split(","):
        lo, _, hi = level.partition("-")
        givens = (int(lo), int(hi or lo))
        n, seconds, counts = bench_level(givens, args.count, args.timeout, args.workers, args.seed)
        spread = ", ".join(f"{g}: {k}" for g, k in zip(*np.unique(counts, return_counts=True)))
        print(f"| {level} | {n} | {seconds:.0f} | {60 * n / seconds:.1f} | {spread} |", flush=True)


if __name__ == "__main__":
    main()
