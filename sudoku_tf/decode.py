"""Turning a network's per-cell digit probabilities into filled boards.

Strategies are batched over many puzzles. A network here is anything with
`predict(tokens (B, 81) int) -> probs (B, 81, 9)`; class c means digit c + 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .board import EMPTY, N_CELLS, candidates_mask, has_conflict
from .nn import ModelFileError, NetworkTransformer, load
from .generator import apply_symmetries, random_symmetries
from .guided_search import guided_search

STRATEGIES = ("oneshot", "iterative", "search")
BATCH_SIZE = 32     # boards per network call; far larger batches run slower per board
MAX_CALLS = 32      # network calls per puzzle before search goes on with the exact solver


@dataclass
class DecodeResult:
    """Boards (B, 81) int8 after decoding; solved (B,) bool; network calls (B,) int.

    `order` (B, 81) int gives the step in which each cell was filled (-1: given or
    unfilled) and `confidence` (B, 81) float the network's probability for that digit.
    Search also fills `backtracks` (B,) int and `no_solution` (B,) bool: the puzzle
    was proven to have no solution.
    """

    boards: np.ndarray
    solved: np.ndarray
    calls: np.ndarray
    order: np.ndarray = field(default=None)
    confidence: np.ndarray = field(default=None)
    backtracks: np.ndarray = field(default=None)
    no_solution: np.ndarray = field(default=None)


def load_model(path) -> NetworkTransformer:
    """A saved Sudoku model (81 cells in, 9 digits out); ModelFileError for anything else."""
    model = load(path)
    args = model.config()
    if not isinstance(model, NetworkTransformer) or (args["seq_len"], args["n_classes"]) != (81, 9):
        raise ModelFileError(f"{path}: a {type(model).__name__} that does not read 81 cells "
                             f"and predict 9 digits, so not a Sudoku model")
    return model


class SymmetryAveraged:
    """A network whose prediction is the mean over `k` Sudoku symmetries of each board.

    A symmetry (cells moved within the rules, digits relabelled) turns a puzzle into
    another with the same structure; the network sees each variant, its answers are
    mapped back and averaged. The first variant is the board itself; the other k - 1
    are fixed at construction (`seed`), so decoding stays deterministic. Costs k
    forward passes per call.
    """

    def __init__(self, model, k: int, seed: int = 0):
        if k < 1:
            raise ValueError(f"the number of symmetries must be at least 1, got {k}")
        self.model = model
        index, digits = random_symmetries(k - 1, np.random.default_rng(seed))
        self.index = np.vstack([np.arange(N_CELLS), index])                 # (k, 81)
        self.digits = np.vstack([np.arange(10), digits])                    # (k, 10)

    def predict(self, boards: np.ndarray) -> np.ndarray:
        """(B, 81) boards -> (B, 81, 9) digit probabilities, averaged over the variants."""
        boards = np.atleast_2d(boards)
        B = len(boards)
        total = np.zeros((B, N_CELLS, 9), np.float32)
        rows = np.arange(B)[:, None]
        for index, digits in zip(self.index, self.digits):
            moved = apply_symmetries(boards, np.tile(index, (B, 1)), np.tile(digits, (B, 1)))
            probs = self.model.predict(moved)                            # (B, 81, 9), moved frame
            # cell j of the variant is cell index[j] of the board; its class digits[c+1]-1
            # is the board's class c
            total[rows, index] += probs[:, :, digits[1:] - 1]
        return total / len(self.index)


def is_solved(puzzles: np.ndarray, boards: np.ndarray) -> np.ndarray:
    """(B,) bool: each board is full, breaks no rule and keeps every given of its puzzle."""
    keeps = ((puzzles == EMPTY) | (boards == puzzles)).all(1)
    return (boards != EMPTY).all(1) & keeps & ~has_conflict(boards)


def predict_in_batches(model, boards: np.ndarray, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """model.predict over (N, 81) boards in chunks: (N, 81, 9) probabilities."""
    return np.concatenate([model.predict(boards[i:i + batch_size])
                           for i in range(0, len(boards), batch_size)]) if len(boards) else \
        np.zeros((0, N_CELLS, 9), np.float32)


def oneshot(model, puzzles: np.ndarray, batch_size: int = BATCH_SIZE,
            progress=None) -> DecodeResult:
    """One forward pass; every empty cell takes its most probable digit.

    `progress(n)`, if given, hears of the n puzzles done (here all at once)."""
    puzzles = np.atleast_2d(puzzles).astype(np.int8)
    probs = predict_in_batches(model, puzzles, batch_size)
    (progress or _ignore)(len(puzzles))
    empty = puzzles == EMPTY
    boards = np.where(empty, probs.argmax(-1) + 1, puzzles).astype(np.int8)
    order = np.where(empty, 0, -1)
    confidence = np.where(empty, probs.max(-1), 0.0)
    return DecodeResult(boards, is_solved(puzzles, boards), np.ones(len(puzzles), int),
                        order, confidence)


def iterative(model, puzzles: np.ndarray, per_step: int = 1, batch_size: int = BATCH_SIZE,
              progress=None) -> DecodeResult:
    """Repeatedly fill the most confident legal cell(s), re-running the network each pass.

    Each pass takes, among empty cells, the (cell, digit) with the highest probability
    that the rules allow, up to `per_step` of them, each checked against the ones before.
    A board stops when full or when some empty cell has no legal digit left (stuck).
    """
    if per_step < 1:
        raise ValueError(f"per_step must be at least 1, got {per_step}")
    puzzles = np.atleast_2d(puzzles).astype(np.int8)
    boards = puzzles.copy()
    B = len(boards)
    calls = np.zeros(B, int)
    order = np.full((B, N_CELLS), -1)
    confidence = np.zeros((B, N_CELLS))
    active = np.flatnonzero((boards == EMPTY).any(1))
    progress = progress or _ignore
    progress(B - len(active))
    step = 0
    while active.size:
        before = len(active)
        probs = predict_in_batches(model, boards[active], batch_size)   # (A, 81, 9)
        calls[active] += 1
        for _ in range(per_step):
            legal = candidates_mask(boards[active]) & (boards[active] == EMPTY)[..., None]
            dead = ((boards[active] == EMPTY) & ~legal.any(-1)).any(1)   # an empty cell with no digit
            score = np.where(legal, probs, -1.0).reshape(len(active), -1)
            best = score.argmax(1)                                      # (A,) over cell*9 + digit
            movable = (score[np.arange(len(active)), best] >= 0) & ~dead
            rows, pick = active[movable], best[movable]
            cells = pick // 9
            boards[rows, cells] = pick % 9 + 1
            order[rows, cells] = step
            confidence[rows, cells] = probs[movable.nonzero()[0], cells, pick % 9]
            keep = movable & (boards[active] == EMPTY).any(1)
            probs, active = probs[keep], active[keep]
            if not active.size:
                break
        progress(before - len(active))
        step += 1
    return DecodeResult(boards, is_solved(puzzles, boards), calls, order, confidence)


def guided(model, puzzles: np.ndarray, max_calls: int = MAX_CALLS,
           batch_size: int = BATCH_SIZE, progress=None) -> DecodeResult:
    """Network-guided exact search (see `guided_search.guided_search`): every puzzle ends solved
    or proven to have no solution; after `max_calls` predictions a puzzle finishes with
    the exact solver."""
    puzzles = np.atleast_2d(puzzles).astype(np.int8)
    out = guided_search(lambda boards: predict_in_batches(model, boards, batch_size), puzzles,
                        max_calls, progress or _ignore)
    solved = out.found & is_solved(puzzles, out.boards)
    return DecodeResult(out.boards, solved, out.calls, out.order, out.confidence,
                        out.backtracks, ~out.found)


def decode(model, puzzles: np.ndarray, strategy: str = "search", per_step: int = 1,
           max_calls: int = MAX_CALLS, batch_size: int = BATCH_SIZE,
           progress=None) -> DecodeResult:
    """Solve (B, 81) puzzles with one of `STRATEGIES`; `progress(n)` hears of n more done."""
    if strategy == "oneshot":
        return oneshot(model, puzzles, batch_size, progress)
    if strategy == "iterative":
        return iterative(model, puzzles, per_step, batch_size, progress)
    if strategy == "search":
        return guided(model, puzzles, max_calls, batch_size, progress)
    raise ValueError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")


def _ignore(n: int) -> None:
    """A progress callback that does nothing."""
