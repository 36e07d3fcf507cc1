"""A growing, reproducible pool of unique puzzles for training without a dataset file.

Puzzle i is a pure function of (seed, i): a random grid with cells removed in random
order while the solution stays unique, down to `lo` givens or until no cell can go, and
optionally walked further down (`generator.make_puzzle`). Each puzzle carries the
solver's guesses as its difficulty, for weighted draws. Worker processes make puzzles
ahead of need; which puzzles a step may use depends only on the step number, never on
how fast the workers were, so runs stay reproducible.
"""

from __future__ import annotations

import collections

import numpy as np

from .board import N_CELLS
from .generator import guesses, make_puzzle, random_grid, remove_givens
from .workers import process_pool

INITIAL = 256          # puzzles available at step 0
PER_STEP = 1.0         # puzzles added per training step
CAP = 200_000
CHUNK = 32             # puzzles per job handed to a worker
LOOKAHEAD = 256        # puzzles made ahead of need; more would only burn a core
WAIT = 0.1             # seconds between looks at `stop` while waiting for the workers


class Stopped(Exception):
    """A wait for puzzles was cut short because the pool's `stop()` said so."""


def make_pool_puzzle(seed: int, lo: int, index: int,
                     walk: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """The pool's puzzle number `index`: puzzle and solution, (81,) int8 each, and its guesses.

    Without `walk`, cells go in random order down to `lo` or a minimal puzzle; with
    walk=(a, b), a target drawn in [a, b] is reached by `make_puzzle` (any count up to b
    is kept when a grid's walk stalls above the target).
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, index]))
    if walk is None:
        solution = random_grid(rng)
        puzzle = remove_givens(solution, lo, rng)
    else:
        puzzle, solution = make_puzzle(int(rng.integers(walk[0], walk[1] + 1)), rng, most=walk[1])
    return puzzle, solution, int(guesses(puzzle[None])[0])


def _make(job):
    return make_pool_puzzle(*job)


class PuzzlePool:
    """Puzzles 0..n-1 of one seed, made on demand and ahead of time by worker processes.

    Args:
        lo: fewest givens random removal aims at (it stops at minimal puzzles, mostly 22-27).
        seed: puzzle i depends only on (seed, i).
        workers: processes making puzzles.
        walk: (a, b) to walk each puzzle down to a target drawn in [a, b] instead, e.g.
            (18, 24) for hard low-givens puzzles (slower: see README "Generating").
        per_step: puzzles added per training step (lower it when puzzles are slow to make).
        stop: a callable checked while waiting for the workers; when it returns true,
            `available` raises `Stopped` (e.g. on Ctrl-C) and the pool stays usable.

    `difficulty` holds each puzzle's guesses (int32, aligned with `puzzles`); pass
    `difficulty_weights(pool.difficulty[:n], power)` from `data` to `make_batch` to draw
    hard puzzles more often, or `generator.hardest_first` to order them.
    """

    def __init__(self, lo: int, seed: int, workers: int = 1,
                 walk: tuple[int, int] | None = None, per_step: float = PER_STEP,
                 stop=None):
        self.lo, self.seed, self.workers, self.stop = lo, seed, workers, stop
        self.walk = None if walk is None else (int(walk[0]), int(walk[1]))
        self.per_step = per_step
        self.puzzles = np.zeros((0, N_CELLS), np.int8)
        self.solutions = np.zeros((0, N_CELLS), np.int8)
        self.difficulty = np.zeros(0, np.int32)
        self._procs = None
        self._pending = collections.deque()                          # AsyncResults, in index order

    def size_at(self, step: int) -> int:
        return min(CAP, INITIAL + int(step * self.per_step))

    def available(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """The puzzles a batch at this step may draw from (blocking until they exist)."""
        n = self.size_at(step)
        if n > len(self.puzzles):
            self._grow(n)
        return self.puzzles[:n], self.solutions[:n]

    def take(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The first n puzzles, made in this process (for small fixed sets)."""
        made = [make_pool_puzzle(*self._job(i)) for i in range(len(self.puzzles), n)]
        self._append(made)
        return self.puzzles[:n], self.solutions[:n]

    def restore(self, puzzles: np.ndarray, solutions: np.ndarray,
                difficulty: np.ndarray | None = None) -> None:
        """Adopts puzzles saved in a checkpoint (the first len(puzzles) of this pool).

        A checkpoint without difficulties (older ones) gets them recomputed.
        """
        self.close()
        self.puzzles, self.solutions = puzzles.astype(np.int8), solutions.astype(np.int8)
        self.difficulty = (guesses(self.puzzles) if difficulty is None
                           else np.asarray(difficulty, np.int32))

    def close(self) -> None:
        """Ends the worker processes (the next `available` starts new ones)."""
        if self._procs is not None:
            self._procs.terminate()
            self._procs.join()
            self._procs = None
            self._pending.clear()

    def _grow(self, n: int) -> None:
        """Appends puzzles up to n, keeping LOOKAHEAD more in the workers' hands."""
        if self._procs is None:
            self._procs = process_pool(self.workers)
        while len(self.puzzles) < n:
            queued = len(self.puzzles) + CHUNK * len(self._pending)
            while queued < min(CAP, n + LOOKAHEAD):
                jobs = [self._job(i) for i in range(queued, min(CAP, queued + CHUNK))]
                self._pending.append(self._procs.map_async(_make, jobs))
                queued += len(jobs)
            while not self._pending[0].ready():
                if self.stop is not None and self.stop():
                    raise Stopped
                self._pending[0].wait(WAIT)
            self._append(self._pending.popleft().get())

    def _job(self, index: int) -> tuple:
        return self.seed, self.lo, index, self.walk

    def _append(self, made) -> None:
        if made:
            p, s, d = zip(*made)
            self.puzzles = np.concatenate([self.puzzles, np.array(p, np.int8)])
            self.solutions = np.concatenate([self.solutions, np.array(s, np.int8)])
            self.difficulty = np.concatenate([self.difficulty, np.array(d, np.int32)])

    def __del__(self):
        self.close()
