"""A growing, reproducible pool of unique puzzles for training without a dataset file.

Puzzle i is a pure function of (seed, i): a random grid with cells removed in random
order while the solution stays unique, down to `lo` givens or until no cell can go.
Worker processes make puzzles ahead of need; which puzzles a step may use depends only
on the step number, never on how fast the workers were, so runs stay reproducible.
"""

from __future__ import annotations

import collections
import multiprocessing

import numpy as np

from .board import N_CELLS
from .generator import random_grid, remove_givens

INITIAL = 256          # puzzles available at step 0
PER_STEP = 1.0         # puzzles added per training step
CAP = 200_000
CHUNK = 32             # puzzles per job handed to a worker
LOOKAHEAD = 256        # puzzles made ahead of need; more would only burn a core


def make_pool_puzzle(seed: int, lo: int, index: int) -> tuple[np.ndarray, np.ndarray]:
    """The pool's puzzle number `index`: (puzzle, solution), each (81,) int8."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, index]))
    solution = random_grid(rng)
    return remove_givens(solution, lo, rng), solution


def _make(job):
    return make_pool_puzzle(*job)


class PuzzlePool:
    """Puzzles 0..n-1 of one seed, made on demand and ahead of time by worker processes."""

    def __init__(self, lo: int, seed: int, workers: int = 1):
        self.lo, self.seed, self.workers = lo, seed, workers
        self.puzzles = np.zeros((0, N_CELLS), np.int8)
        self.solutions = np.zeros((0, N_CELLS), np.int8)
        self._procs = None
        self._pending = collections.deque()                          # AsyncResults, in index order

    def size_at(self, step: int) -> int:
        return min(CAP, INITIAL + int(step * PER_STEP))

    def available(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """The puzzles a batch at this step may draw from (blocking until they exist)."""
        n = self.size_at(step)
        if n > len(self.puzzles):
            self._grow(n)
        return self.puzzles[:n], self.solutions[:n]

    def take(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The first n puzzles, made in this process (for small fixed sets)."""
        made = [make_pool_puzzle(self.seed, self.lo, i) for i in range(len(self.puzzles), n)]
        self._append(made)
        return self.puzzles[:n], self.solutions[:n]

    def restore(self, puzzles: np.ndarray, solutions: np.ndarray) -> None:
        """Adopts puzzles saved in a checkpoint (the first len(puzzles) of this pool)."""
        self.close()
        self.puzzles, self.solutions = puzzles.astype(np.int8), solutions.astype(np.int8)

    def close(self) -> None:
        if self._procs is not None:
            self._procs.terminate()
            self._procs = None
            self._pending.clear()

    def _grow(self, n: int) -> None:
        """Appends puzzles up to n, keeping LOOKAHEAD more in the workers' hands."""
        if self._procs is None:
            self._procs = multiprocessing.get_context("spawn").Pool(self.workers)
        while len(self.puzzles) < n:
            queued = len(self.puzzles) + CHUNK * len(self._pending)
            while queued < min(CAP, n + LOOKAHEAD):
                jobs = [(self.seed, self.lo, i) for i in range(queued, min(CAP, queued + CHUNK))]
                self._pending.append(self._procs.map_async(_make, jobs))
                queued += len(jobs)
            self._append(self._pending.popleft().get())

    def _append(self, made) -> None:
        if made:
            p, s = zip(*made)
            self.puzzles = np.concatenate([self.puzzles, np.array(p, np.int8)])
            self.solutions = np.concatenate([self.solutions, np.array(s, np.int8)])

    def __del__(self):
        self.close()
