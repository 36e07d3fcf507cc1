"""Puzzle generation: random full grids, unique-solution puzzles, difficulty labels, symmetries.

Everything random takes an np.random.Generator; sets of puzzles are built from one seed
per puzzle so the result does not depend on how many processes made it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .board import BOX, EMPTY, N_CELLS, count_givens
from .solver import solve, solve_with_stats
from .workers import process_pool

MIN_GIVENS = 17                  # no unique puzzle has fewer
DIFFICULTIES = ("easy", "medium", "hard", "expert")
# exhaustive-search guesses up to which a puzzle is "hard"; more is "expert"
HARD_MAX_GUESSES = 8
WALK_STEPS = 300                 # local-search moves on one grid before a fresh grid
WALK_DROP = 3                    # a move empties 1 to WALK_DROP givens before repairing
SYMMETRIES = ("digits", "rows", "columns", "bands", "stacks", "transpose")


class GenerationError(RuntimeError):
    """A puzzle could not be made within the budget (too few givens or a rare difficulty)."""


@dataclass(frozen=True)
class PuzzleSpec:
    """What one generated puzzle must be: givens in [lo, hi], an optional difficulty."""

    givens: tuple[int, int]
    difficulty: str | None = None
    time_budget: float = 60.0    # seconds per puzzle before giving up

    def __post_init__(self):
        lo, hi = self.givens
        if not MIN_GIVENS <= lo <= hi <= N_CELLS:
            raise ValueError(f"givens must satisfy {MIN_GIVENS} <= lo <= hi <= 81, got {lo}-{hi}")
        if self.difficulty is not None and self.difficulty not in DIFFICULTIES:
            raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTIES)}")


# ---------------------------------------------------------------- grids and puzzles

def random_grid(rng: np.random.Generator) -> np.ndarray:
    """A random complete grid (81,) int8: random diagonal boxes, completed, then shuffled.

    The three diagonal boxes share no unit, so any fillings of them complete to a grid.
    """
    board = np.zeros(N_CELLS, dtype=np.int8)
    for box in (0, 4, 8):
        board[BOX == box] = rng.permutation(9) + 1
    grid = solve(board)
    puzzles, _ = augment(grid[None], grid[None], rng)
    return puzzles[0]


def remove_givens(puzzle: np.ndarray, target: int, rng: np.random.Generator,
                  keep: int | None = None) -> np.ndarray:
    """Empty cells in random order while the solution stays unique, down to `target` givens.

    Cell `keep` is never emptied. Stops early at a minimal puzzle (no given can go), so
    the result may have more givens than `target`.
    """
    puzzle = puzzle.copy()
    n_givens = int(count_givens(puzzle))
    for i in rng.permutation(np.flatnonzero(puzzle)):
        if i == keep:
            continue
        if n_givens <= target:
            break
        value, puzzle[i] = puzzle[i], EMPTY
        if len(solve_with_stats(puzzle, limit=2).solutions) == 1:
            n_givens -= 1
        else:
            puzzle[i] = value
    return puzzle


def make_puzzle(givens: int, rng: np.random.Generator, deadline: float | None = None,
                most: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A puzzle with `givens` givens and a unique solution, and that solution.

    Random removal from a fresh grid reaches a minimal puzzle; while it is above the
    target, `walk_down` lowers it. A grid whose walk ends above the target is replaced
    by a fresh one, unless its puzzle has at most `most` givens (then it is returned).
    The result depends only on `rng`; `deadline` (a time.monotonic() value) only decides
    when to give up with a GenerationError.
    """
    if not MIN_GIVENS <= givens <= N_CELLS:
        raise ValueError(f"givens must be between {MIN_GIVENS} and 81, got {givens}")
    most = givens if most is None else most
    fewest = N_CELLS
    while True:
        solution = random_grid(rng)
        puzzle = walk_down(remove_givens(solution, givens, rng), solution, givens, rng,
                           WALK_STEPS, deadline)
        reached = int(count_givens(puzzle))
        fewest = min(fewest, reached)
        if reached <= givens:
            return puzzle, solution
        if deadline is not None and time.monotonic() > deadline:     # the walk may be cut short
            raise GenerationError(f"no unique puzzle with {givens} givens within the time "
                                  f"budget (the fewest reached was {fewest})")
        if reached <= most:
            return puzzle, solution


def walk_down(puzzle: np.ndarray, solution: np.ndarray, target: int, rng: np.random.Generator,
              steps: int, deadline: float | None = None) -> np.ndarray:
    """Local search from a unique puzzle toward `target` givens, at most `steps` moves.

    A move empties 1 to WALK_DROP random givens, adds back solution digits at cells where
    another solution differs until the solution is unique again, then removes givens in
    random order while it stays unique; it is kept unless it has more givens. Stops early
    at the target or when `deadline` passes.
    """
    for _ in range(steps):
        if count_givens(puzzle) <= target or (deadline is not None and time.monotonic() > deadline):
            break
        trial = puzzle.copy()
        drop = rng.choice(np.flatnonzero(trial), int(rng.integers(1, WALK_DROP + 1)), replace=False)
        trial[drop] = EMPTY
        trial = remove_givens(_restore_uniqueness(trial, solution, rng), target, rng)
        if count_givens(trial) <= count_givens(puzzle):
            puzzle = trial
    return puzzle


def _restore_uniqueness(puzzle, solution, rng):
    """Adds solution digits, each where a second solution differs, until `solution` is alone."""
    while True:
        found = solve_with_stats(puzzle, limit=2).solutions
        if len(found) == 1:
            return puzzle
        other = found[1] if (found[0] == solution).all() else found[0]
        cell = rng.choice(np.flatnonzero(other != solution))
        puzzle[cell] = solution[cell]


# ---------------------------------------------------------------- difficulty

def rate(puzzle: np.ndarray) -> str:
    """Difficulty label from the solver's work on the whole search tree (limit 2).

    easy: naked singles alone solve it; medium: naked and hidden singles, no guess;
    hard: 1 to HARD_MAX_GUESSES guesses; expert: more.
    """
    work = solve_with_stats(puzzle, limit=2)
    if work.guesses == 0:
        return "easy" if work.hidden_singles == 0 else "medium"
    return "hard" if work.guesses <= HARD_MAX_GUESSES else "expert"


def guesses(puzzles: np.ndarray) -> np.ndarray:
    """The solver's guesses over the whole search tree (limit 2) per puzzle: (N, 81) -> (N,) int32.

    A difficulty score: 0 for puzzles singles alone solve, rising with the search needed.
    """
    return np.array([solve_with_stats(p, limit=2).guesses for p in puzzles], dtype=np.int32)


def hardest_first(difficulty: np.ndarray) -> np.ndarray:
    """Indices that order puzzles by falling difficulty, ties by index (a reverse curriculum)."""
    return np.argsort(-np.asarray(difficulty, np.int64), kind="stable")


# ---------------------------------------------------------------- sets of puzzles

def generate_one(spec: PuzzleSpec, seed: np.random.SeedSequence) -> tuple[np.ndarray, np.ndarray]:
    """One (puzzle, solution) meeting `spec`, a pure function of `seed`.

    Each try draws its number of givens in the range, so a difficulty request settles on
    givens where that difficulty occurs.
    """
    rng = np.random.default_rng(seed)
    deadline = time.monotonic() + spec.time_budget
    lo, hi = spec.givens
    while True:
        puzzle, solution = make_puzzle(int(rng.integers(lo, hi + 1)), rng, deadline, most=hi)
        if spec.difficulty is None or rate(puzzle) == spec.difficulty:
            return puzzle, solution
        if time.monotonic() > deadline:
            raise GenerationError(f"no {spec.difficulty} puzzle with {lo}-{hi} givens "
                                  f"within the time budget")


def generate_puzzles(n: int, spec: PuzzleSpec | list[PuzzleSpec], seed: int = 0,
                     workers: int = 1, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """`n` puzzles and their solutions, (n, 81) int8 each, identical for any `workers`.

    Given a list of specs, puzzle k follows spec k mod len (e.g. one per difficulty for
    a balanced set). Puzzle k comes from the k-th child of SeedSequence(seed);
    `progress(1)` is called after each puzzle, e.g. a tqdm bar's `update`.
    """
    specs = [spec] if isinstance(spec, PuzzleSpec) else list(spec)
    seeds = np.random.SeedSequence(seed).spawn(n)
    puzzles = np.zeros((n, N_CELLS), dtype=np.int8)
    solutions = np.zeros((n, N_CELLS), dtype=np.int8)
    jobs = [(specs[k % len(specs)], s) for k, s in enumerate(seeds)]
    if workers > 1 and n > 1:
        with process_pool(workers) as pool:
            _collect(pool.imap(_generate_job, jobs), puzzles, solutions, progress)
    else:
        _collect(map(_generate_job, jobs), puzzles, solutions, progress)
    return puzzles, solutions


def _generate_job(job):
    return generate_one(*job)


def _collect(results, puzzles, solutions, progress) -> None:
    for k, (puzzle, solution) in enumerate(results):
        puzzles[k], solutions[k] = puzzle, solution
        if progress is not None:
            progress(1)


# ---------------------------------------------------------------- symmetries

def augment(puzzles: np.ndarray, solutions: np.ndarray, rng: np.random.Generator,
            kinds: tuple[str, ...] = SYMMETRIES) -> tuple[np.ndarray, np.ndarray]:
    """Apply one random Sudoku symmetry per sample to (B, 81) puzzles and their solutions.

    `kinds` picks the transformations drawn from: digit relabelling, rows within bands,
    columns within stacks, band order, stack order, transpose (with probability 1/2).
    Both arrays get the same cell permutation and digit map, so pairs stay consistent.
    """
    puzzles, solutions = np.asarray(puzzles), np.asarray(solutions)
    index, digits = random_symmetries(len(puzzles), rng, kinds)
    return apply_symmetries(puzzles, index, digits), apply_symmetries(solutions, index, digits)


def random_symmetries(n: int, rng: np.random.Generator,
                      kinds: tuple[str, ...] = SYMMETRIES) -> tuple[np.ndarray, np.ndarray]:
    """n random Sudoku symmetries: cell sources (n, 81) and digit maps (n, 10), 0 -> 0.

    Cell j of a transformed board is cell index[j] of the original, with digit d
    written as digits[d].
    """
    unknown = set(kinds) - set(SYMMETRIES)
    if unknown:
        raise ValueError(f"unknown symmetries {sorted(unknown)}; choose from {SYMMETRIES}")
    rows = _line_order(rng, n, "rows" in kinds, "bands" in kinds)         # (n, 9)
    cols = _line_order(rng, n, "columns" in kinds, "stacks" in kinds)     # (n, 9)
    index = rows[:, :, None] * 9 + cols[:, None, :]                        # (n, 9, 9)
    if "transpose" in kinds:
        flip = rng.random(n) < 0.5
        index[flip] = index[flip].transpose(0, 2, 1)
    digits = np.tile(np.arange(10), (n, 1))                                # (n, 10)
    if "digits" in kinds:
        digits[:, 1:] = _permutations(rng, n, 9) + 1
    return index.reshape(n, N_CELLS), digits


def apply_symmetries(boards: np.ndarray, index: np.ndarray, digits: np.ndarray) -> np.ndarray:
    """Boards (n, 81) under the symmetries from `random_symmetries`, in their dtype."""
    moved = np.take_along_axis(boards, index, axis=1)
    return digits[np.arange(len(boards))[:, None], moved].astype(boards.dtype)


def _permutations(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """n random permutations of range(k): (n, k)."""
    return np.argsort(rng.random((n, k)), axis=1)


def _line_order(rng, n: int, within: bool, blocks: bool) -> np.ndarray:
    """(n, 9) new order of 9 lines: blocks of three permuted, lines permuted inside blocks."""
    block = _permutations(rng, n, 3) if blocks else np.tile(np.arange(3), (n, 1))
    inner = _permutations(rng, n * 3, 3) if within else np.tile(np.arange(3), (n * 3, 1))
    return (block[:, :, None] * 3 + inner.reshape(n, 3, 3)).reshape(n, 9)
