"""Turning a network's per-cell digit probabilities into filled boards.

Strategies are batched over many puzzles. A network here is anything with
`predict(tokens (B, 81) int) -> probs (B, 81, 9)`; class c means digit c + 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .board import EMPTY, N_CELLS, candidates_mask, has_conflict
from .nn import ModelFileError, NetworkTransformer, load
from .generator import apply_symmetries, random_symmetries
from .guided_search import guided_search, propagate, to_masks

STRATEGIES = ("oneshot", "iterative", "search")   # the pure strategies, which eval measures
AUTO = "auto"       # iterative decoding, and guided search where it gets stuck: solve's default
BATCH_SIZE = 32     # boards per network call; far larger batches run slower per board
MAX_CALLS = 32      # network calls per puzzle before search goes on with the exact solver


@dataclass
class DecodeResult:
    """Boards (B, 81) int8 after decoding; solved (B,) bool; network calls (B,) int.

    `order` (B, 81) int gives the step in which each cell was filled (-1: given or
    unfilled) and `confidence` (B, 81) float the network's probability for that digit.
    Search also fills `backtracks` (B,) int and `no_solution` (B,) bool: the puzzle
    was proven to have no solution. `auto` adds `network_solved` (B,) bool: iterative
    decoding alone solved it, and `network_placed` (B, 81) bool: the cells of the answer
    the network filled (the search filled the other empty cells).
    """

    boards: np.ndarray
    solved: np.ndarray
    calls: np.ndarray
    order: np.ndarray = field(default=None)
    confidence: np.ndarray = field(default=None)
    backtracks: np.ndarray = field(default=None)
    no_solution: np.ndarray = field(default=None)
    network_solved: np.ndarray = field(default=None)
    network_placed: np.ndarray = field(default=None)


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


def auto(model, puzzles: np.ndarray, per_step: int = 1, max_calls: int = MAX_CALLS,
         batch_size: int = BATCH_SIZE, progress=None) -> DecodeResult:
    """Iterative decoding; where it gets stuck, guided search finishes the puzzle.

    A stuck board has an empty cell with no legal digit, so its last fills were wrong:
    they are undone, latest step first, until constraint propagation finds no
    contradiction, and the search goes on from the network's board there. If that board
    has no solution (an earlier fill was wrong too), the search starts again from the
    puzzle. `progress(n)` hears of puzzles as iterative decoding stops on them.
    """
    puzzles = np.atleast_2d(puzzles).astype(np.int8)
    first = iterative(model, puzzles, per_step, batch_size, progress)
    B = len(puzzles)
    out = replace(first, backtracks=np.zeros(B, int), no_solution=np.zeros(B, bool),
                  network_solved=first.solved.copy(), network_placed=first.order >= 0)
    stuck = np.flatnonzero(~first.solved)
    if not stuck.size:
        return out
    kept = _last_consistent_step(puzzles[stuck], first.boards[stuck], first.order[stuck])
    start = np.where(first.order[stuck] < kept[:, None], first.boards[stuck], puzzles[stuck])
    onward = guided(model, start, max_calls, batch_size)
    again = onward.no_solution
    out.network_placed[stuck] &= (first.order[stuck] < kept[:, None]) & ~again[:, None]
    _finish(out, stuck[~again], onward, ~again, step_offset=kept[~again])
    if again.any():
        restart = guided(model, puzzles[stuck[again]], max_calls, batch_size)
        out.calls[stuck[again]] += onward.calls[again]
        out.backtracks[stuck[again]] += onward.backtracks[again]
        _finish(out, stuck[again], restart, np.ones(again.sum(), bool), step_offset=0)
    return out


def _last_consistent_step(puzzles, boards, order) -> np.ndarray:
    """(S,) per board: the first fill step to undo, so that the cells filled before it
    raise no contradiction under propagation (0: back to the puzzle)."""
    kept = order.max(1) + 1
    pending = np.arange(len(boards))
    while pending.size:
        trial = np.where(order[pending] < kept[pending, None], boards[pending], puzzles[pending])
        _, ok = propagate(to_masks(trial))
        pending = pending[~ok & (kept[pending] > 0)]
        kept[pending] -= 1
    return kept


def _finish(out: DecodeResult, rows, search: DecodeResult, take, step_offset) -> None:
    """Copy the search's answer for `rows` of `out` (from the search's rows `take`),
    numbering its fill steps after the network's."""
    filled = search.order[take] >= 0
    out.boards[rows] = search.boards[take]
    out.solved[rows] = search.solved[take]
    out.no_solution[rows] = search.no_solution[take]
    out.calls[rows] += search.calls[take]
    out.backtracks[rows] += search.backtracks[take]
    offset = np.broadcast_to(np.asarray(step_offset)[..., None], filled.shape)
    out.order[rows] = np.where(filled, search.order[take] + offset, out.order[rows])
    out.confidence[rows] = np.where(filled, search.confidence[take], out.confidence[rows])
    out.order[rows] = np.where(~out.network_placed[rows] & ~filled, -1, out.order[rows])


def decode(model, puzzles: np.ndarray, strategy: str = "search", per_step: int = 1,
           max_calls: int = MAX_CALLS, batch_size: int = BATCH_SIZE,
           progress=None) -> DecodeResult:
    """Solve (B, 81) puzzles with `AUTO` or one of `STRATEGIES`; `progress(n)` hears of n
    more done."""
    if strategy == AUTO:
        return auto(model, puzzles, per_step, max_calls, batch_size, progress)
    if strategy == "oneshot":
        return oneshot(model, puzzles, batch_size, progress)
    if strategy == "iterative":
        return iterative(model, puzzles, per_step, batch_size, progress)
    if strategy == "search":
        return guided(model, puzzles, max_calls, batch_size, progress)
    raise ValueError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")


def _ignore(n: int) -> None:
    """A progress callback that does nothing."""
