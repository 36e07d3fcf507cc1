"""Turning a network's per-cell digit probabilities into filled boards.

Strategies are batched over many puzzles. A network here is anything with
`predict(tokens (B, 81) int) -> probs (B, 81, 9)`; class c means digit c + 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .board import EMPTY, N_CELLS, candidates_mask, has_conflict


@dataclass
class DecodeResult:
    """Boards (B, 81) int8 after decoding; solved (B,) bool; network calls (B,) int.

    `order` (B, 81) int gives the pass in which each cell was filled (-1: given or
    unfilled) and `confidence` (B, 81) float the network's probability for that digit.
    """

    boards: np.ndarray
    solved: np.ndarray
    calls: np.ndarray
    order: np.ndarray = field(default=None)
    confidence: np.ndarray = field(default=None)


def is_solved(puzzles: np.ndarray, boards: np.ndarray) -> np.ndarray:
    """(B,) bool: each board is full, breaks no rule and keeps every given of its puzzle."""
    keeps = ((puzzles == EMPTY) | (boards == puzzles)).all(1)
    return (boards != EMPTY).all(1) & keeps & ~has_conflict(boards)


def predict_in_batches(model, boards: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """model.predict over (N, 81) boards in chunks: (N, 81, 9) probabilities."""
    return np.concatenate([model.predict(boards[i:i + batch_size])
                           for i in range(0, len(boards), batch_size)]) if len(boards) else \
        np.zeros((0, N_CELLS, 9), np.float32)


def oneshot(model, puzzles: np.ndarray, batch_size: int = 256) -> DecodeResult:
    """One forward pass; every empty cell takes its most probable digit."""
    puzzles = np.atleast_2d(puzzles).astype(np.int8)
    probs = predict_in_batches(model, puzzles, batch_size)
    empty = puzzles == EMPTY
    boards = np.where(empty, probs.argmax(-1) + 1, puzzles).astype(np.int8)
    order = np.where(empty, 0, -1)
    confidence = np.where(empty, probs.max(-1), 0.0)
    return DecodeResult(boards, is_solved(puzzles, boards), np.ones(len(puzzles), int),
                        order, confidence)


def iterative(model, puzzles: np.ndarray, per_step: int = 1, batch_size: int = 256) -> DecodeResult:
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
    step = 0
    while active.size:
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
        step += 1
    return DecodeResult(boards, is_solved(puzzles, boards), calls, order, confidence)


def evaluate(model, puzzles: np.ndarray, solutions: np.ndarray, batch_size: int = 256) -> dict:
    """Cell accuracy on empty cells (one pass) and full-solve rate under `iterative`."""
    puzzles = np.atleast_2d(puzzles)
    empty = puzzles == EMPTY
    once = oneshot(model, puzzles, batch_size)
    result = iterative(model, puzzles, batch_size=batch_size)
    return {
        "cell_accuracy": float((once.boards == solutions)[empty].mean()),
        "oneshot_solve_rate": float(once.solved.mean()),
        "solve_rate": float(result.solved.mean()),
        "mean_calls": float(result.calls.mean()),
    }
