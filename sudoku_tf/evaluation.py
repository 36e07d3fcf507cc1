"""Scoring decoded boards: solve rates and cell accuracy per range of givens, and the
exact solver's reference solutions.

How boards are decoded lives in `decode`, how results are shown in `formatting`; this
module only measures.
"""

from __future__ import annotations

import time

import numpy as np

from .board import EMPTY, N_CELLS, count_givens
from .decode import BATCH_SIZE, decode, oneshot
from .generator import DIFFICULTIES, rate
from .solver import solve

# (fewest, most, label) givens per row of the evaluation table; below 17 no puzzle is unique
GIVEN_BUCKETS = ((0, 16, "0-16"), (17, 22, "17-22"), (23, 27, "23-27"), (28, 35, "28-35"),
                 (36, 45, "36-45"), (46, N_CELLS, "46+"))


def evaluate(model, puzzles: np.ndarray, solutions: np.ndarray | None = None, *,
             strategy: str = "iterative", batch_size: int = BATCH_SIZE, by_givens: bool = False,
             by_difficulty: bool = False, progress=None, **options) -> dict:
    """Cell accuracy on empty cells (one network call), full-solve rate and network calls
    under `strategy` (search also counts backtracks), and its speed; `options` are the
    rest of `decode.decode`'s (per_step, max_calls, threshold, search).
    `solutions` None means the exact solver's. With `by_givens`, each bucket of
    `GIVEN_BUCKETS` is decoded as its own batch and reported under "by_givens" as well;
    with `by_difficulty`, the same outcomes are also broken down by the generator's
    difficulty label of each puzzle (`generator.rate`) under "by_difficulty", without
    timings (the puzzles of one label were decoded among others). With iterative
    decoding, the mean number of trajectories a puzzle used is "mean_trajectories".
    """
    puzzles = np.atleast_2d(puzzles)
    if not len(puzzles):
        raise ValueError("no puzzles to evaluate")
    solutions = reference_solutions(puzzles) if solutions is None else np.atleast_2d(solutions)
    givens = count_givens(puzzles)
    if by_givens:
        groups = [(label, (givens >= lo) & (givens <= hi)) for lo, hi, label in GIVEN_BUCKETS]
        groups = [(label, rows) for label, rows in groups if rows.any()]
    else:
        groups = [(None, np.ones(len(puzzles), bool))]
    decoding = {"strategy": strategy, "batch_size": batch_size, "progress": progress, **options}
    parts = [_score(model, puzzles[rows], solutions[rows], decoding) for _, rows in groups]
    merged = {key: np.concatenate([p[key] for p in parts]) for key in parts[0] if key != "seconds"}
    overall = _summarise(**merged, seconds=sum(p["seconds"] for p in parts))
    if by_givens:
        overall["by_givens"] = [{"givens": label, **_summarise(**part)}
                                for (label, _), part in zip(groups, parts)]
    if by_difficulty:
        order = np.concatenate([np.flatnonzero(rows) for _, rows in groups])  # rows of merged
        labels = np.array([rate(p) for p in puzzles[order]])
        overall["by_difficulty"] = [
            {"difficulty": label, **_summarise(**{k: v[labels == label] for k, v in merged.items()})}
            for label in DIFFICULTIES if (labels == label).any()]
    return overall


def _score(model, puzzles, solutions, decoding: dict) -> dict:
    """Per-puzzle outcomes of one batch: right and empty cells after one pass, solved
    under one pass and under the strategy `decoding` names (with `decode`'s options),
    network calls; and the strategy's seconds."""
    empty = puzzles == EMPTY
    strategy = decoding["strategy"]
    once, seconds = _timed(oneshot, model, puzzles, batch_size=decoding["batch_size"],
                           progress=decoding["progress"] if strategy == "oneshot" else None)
    result = once
    if strategy != "oneshot":
        result, seconds = _timed(decode, model, puzzles, **decoding)
    outcomes = {"right": ((once.boards == solutions) & empty).sum(1), "empty": empty.sum(1),
                "oneshot_solved": once.solved, "solved": result.solved, "calls": result.calls,
                "seconds": seconds}
    if strategy == "search":
        outcomes["backtracks"] = result.backtracks
    if result.trajectories is not None:
        outcomes["trajectories"] = result.trajectories
    return outcomes


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def _summarise(right, empty, oneshot_solved, solved, calls, backtracks=None,
               trajectories=None, seconds=None) -> dict:
    """The outcomes of a group of puzzles; with `backtracks` (search), how many it took;
    with `seconds`, also how fast they went."""
    summary = {
        "puzzles": len(solved),
        "cell_accuracy": float(right.sum() / max(empty.sum(), 1)),
        "oneshot_solve_rate": float(oneshot_solved.mean()),
        "solve_rate": float(solved.mean()),
        "mean_calls": float(calls.mean()),
        "median_calls": float(np.median(calls)),
    }
    if backtracks is not None:
        summary["mean_backtracks"] = float(backtracks.mean())
        summary["max_backtracks"] = int(backtracks.max())
    if trajectories is not None:
        summary["mean_trajectories"] = float(trajectories.mean())
    if seconds is not None:
        summary["seconds"] = round(seconds, 3)
        summary["puzzles_per_second"] = len(solved) / seconds if seconds > 0 else 0.0
    return summary


def one_call_accuracy(network, puzzles: np.ndarray, solutions: np.ndarray) -> tuple[float, float]:
    """Mean over puzzles of the share of empty cells one network call gets right, and its
    standard error (puzzles weigh alike, so the error is over puzzles)."""
    boards = oneshot(network, puzzles).boards
    empty = puzzles == EMPTY
    per_puzzle = ((boards == solutions) & empty).sum(1) / empty.sum(1)   # (N,)
    return float(per_puzzle.mean()), float(per_puzzle.std(ddof=1) / np.sqrt(len(puzzles)))


def solve_rate_error(rate: float, n: int) -> float:
    """One standard error of a solve rate measured on n puzzles (a binomial share)."""
    return float(np.sqrt(rate * (1 - rate) / n))


def reference_solutions(puzzles: np.ndarray) -> np.ndarray:
    """The exact solver's solution of each (N, 81) puzzle; ValueError naming one without."""
    solutions = [solve(p) for p in puzzles]
    missing = [k for k, s in enumerate(solutions) if s is None]
    if missing:
        raise ValueError(f"puzzle {missing[0] + 1} has no solution")
    return np.array(solutions, np.int8).reshape(-1, N_CELLS)
