"""Turning a network's per-cell digit probabilities into filled boards.

Strategies are batched over many puzzles. A network here is anything with
`predict(tokens (B, 81) int) -> probs (B, 81, 9)`; class c means digit c + 1.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .board import EMPTY, N_CELLS, candidates_mask, is_solved
from .candidates import propagate, to_masks
from .generator import apply_symmetries, random_symmetries
from .guided_search import guided_search
from .result import DecodeResult

STRATEGIES = ("oneshot", "iterative", "search")   # the pure strategies, which eval measures
AUTO = "auto"       # iterative decoding, and guided search where it gets stuck: solve's default
BATCH_SIZE = 32     # boards per network call; far larger batches run slower per board
MAX_CALLS = 32      # network calls per puzzle before search goes on with the exact solver
TRAJECTORY_SEED = 1     # the trajectories' symmetries (SymmetryAveraged's variants use 0)


class SymmetryAveraged:
    """A network whose prediction is the mean over `k` Sudoku symmetries of each board.

    A symmetry (cells moved within the rules, digits relabelled) turns a puzzle into
    another with the same structure; the network sees each variant, its answers are
    mapped back and averaged. The first variant is the board itself; the other k - 1
    are fixed at construction (`seed`), so decoding stays deterministic. Costs k
    forward passes per call, run as one stacked batch (in chunks of at least
    BATCH_SIZE boards), so a call on one board still gives the network a real batch.
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
        B, k = len(boards), len(self.index)
        # row v * B + b is variant v of board b
        moved = apply_symmetries(np.tile(boards, (k, 1)), np.repeat(self.index, B, axis=0),
                                 np.repeat(self.digits, B, axis=0))          # (k*B, 81)
        probs = predict_in_batches(self.model, moved, max(B, BATCH_SIZE))    # (k*B, 81, 9)
        total = np.zeros((B, N_CELLS, 9), np.float32)
        rows = np.arange(B)[:, None]
        for variant, (index, digits) in enumerate(zip(self.index, self.digits)):
            # cell j of the variant is cell index[j] of the board; its class digits[c+1]-1
            # is the board's class c
            total[rows, index] += probs[variant * B:(variant + 1) * B][:, :, digits[1:] - 1]
        return total / k


class Refining:
    """A recurrent network that runs a chosen number of passes per call, and with
    adaptive halting stops refining each board once its answer has settled.

    passes: the most passes a call runs (None: the model's own default). halt_after: a
    board stops once its predicted digits have not changed for that many passes;
    confident: ... or once every empty cell's top probability reaches it. Either makes
    the passes run one at a time over the carried state. `mean_passes` tells how many
    passes a board took per call, on average over every call so far.
    """

    def __init__(self, model, passes: int | None = None, halt_after: int | None = None,
                 confident: float | None = None):
        if passes is not None and passes < 1:
            raise ValueError(f"passes must be at least 1, got {passes}")
        if halt_after is not None and halt_after < 1:
            raise ValueError(f"halt_after must be at least 1, got {halt_after}")
        self.model = model
        self.passes = passes or model.config()["n_loops"]
        self.halt_after, self.confident = halt_after, confident
        self.board_calls = self.board_passes = 0

    @property
    def mean_passes(self) -> float:
        return self.board_passes / max(self.board_calls, 1)

    def predict(self, boards: np.ndarray) -> np.ndarray:
        """(B, 81) boards -> (B, 81, 9) digit probabilities after each board's last pass."""
        boards = np.atleast_2d(boards)
        B = len(boards)
        self.board_calls += B
        if self.halt_after is None and self.confident is None:
            self.board_passes += B * self.passes
            return self.model.predict(boards, passes=self.passes)
        probs = self.model.predict(boards, passes=1)                    # (B, 81, 9)
        state = self.model.last_state
        used = np.ones(B, int)
        unchanged = np.zeros(B, int)
        active = np.arange(B)
        empty = boards == EMPTY
        for _ in range(self.passes - 1):
            done = self._settled(probs[active], empty[active], unchanged[active])
            active, state = active[~done], state[np.flatnonzero(~done)]
            if not active.size:
                break
            new = self.model.predict(boards[active], passes=1, state=state)
            state = self.model.last_state
            same = ((new.argmax(-1) == probs[active].argmax(-1)) | ~empty[active]).all(1)
            unchanged[active] = np.where(same, unchanged[active] + 1, 0)
            probs[active] = new
            used[active] += 1
        self.board_passes += int(used.sum())
        return probs

    def _settled(self, probs, empty, unchanged) -> np.ndarray:
        """(A,) bool: the boards whose answer has settled."""
        done = np.zeros(len(probs), bool)
        if self.halt_after is not None:
            done |= unchanged >= self.halt_after
        if self.confident is not None:
            done |= (probs.max(-1) >= self.confident).all(1, where=empty)
        return done


def predict_in_batches(model, boards: np.ndarray, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """model.predict over (N, 81) boards in chunks: (N, 81, 9) probabilities."""
    return np.concatenate([model.predict(boards[i:i + batch_size])
                           for i in range(0, len(boards), batch_size)]) if len(boards) else \
        np.zeros((0, N_CELLS, 9), np.float32)


def oneshot(model, puzzles: np.ndarray, *, batch_size: int = BATCH_SIZE,
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


def iterative(model, puzzles: np.ndarray, *, per_step: int = 1, batch_size: int = BATCH_SIZE,
              progress=None, threshold: float | None = None, trajectories: int = 1,
              wave: int | None = None) -> DecodeResult:
    """Repeatedly fill the most confident legal cell(s), re-running the network each call.

    Each call takes, among empty cells, the (cell, digit) with the highest probability
    that the rules allow, each checked against the ones before: `per_step` of them, and
    then more while the next one's probability is at least `threshold` (if given). A
    board stops when full or when some empty cell has no legal digit left (stuck). The
    only rule applied is refusing digits that the filled cells already forbid.

    With `trajectories` K > 1, each puzzle is decoded up to K times independently, each
    trajectory on its own Sudoku symmetry of the board (the first on the board itself),
    `wave` of them at once (default all K), batched across puzzles. A puzzle stops at
    the first trajectory whose finished grid the rules accept; no cell passes between
    trajectories. An unsolved puzzle keeps the trajectory that filled the most cells.
    """
    if per_step < 1:
        raise ValueError(f"per_step must be at least 1, got {per_step}")
    if trajectories < 1 or (wave is not None and wave < 1):
        raise ValueError(f"trajectories and wave must be at least 1, got {trajectories}, {wave}")
    puzzles = np.atleast_2d(puzzles).astype(np.int8)
    fill = (model, per_step, batch_size, np.inf if threshold is None else threshold)
    if trajectories == 1:
        out = _trajectory(*fill, puzzles, progress or _ignore)
        out.trajectories = np.ones(len(puzzles), int)
        return out
    return _trajectories(fill, puzzles, trajectories, wave or trajectories, progress or _ignore)


def _trajectories(fill: tuple, puzzles: np.ndarray, K: int, wave: int, progress) -> DecodeResult:
    """`iterative` with K trajectories a puzzle, `wave` at a time (see there)."""
    B = len(puzzles)
    out = DecodeResult(puzzles.copy(), np.zeros(B, bool), np.zeros(B, int),
                       np.full((B, N_CELLS), -1), np.zeros((B, N_CELLS)),
                       trajectories=np.zeros(B, int))
    index, digits = trajectory_symmetries(K)                           # (K, 81), (K, 10)
    pending = np.flatnonzero((puzzles == EMPTY).any(1))
    out.solved[:] = is_solved(puzzles, puzzles)
    progress(B - len(pending))
    for first in range(0, K, wave):
        ks = np.arange(first, min(first + wave, K))
        n = len(pending)
        # row w * n + i is trajectory ks[w] of puzzle pending[i]
        rows_index, rows_digits = np.repeat(index[ks], n, 0), np.repeat(digits[ks], n, 0)
        moved = apply_symmetries(np.tile(puzzles[pending], (len(ks), 1)), rows_index, rows_digits)
        run = _trajectory(*fill, moved, _ignore, group=np.tile(np.arange(n), len(ks)))
        boards = _board_frame(run.boards, rows_index, np.argsort(rows_digits, 1))
        order = _board_frame(run.order, rows_index)
        confidence = _board_frame(run.confidence, rows_index)
        filled = (boards != EMPTY).sum(1).reshape(len(ks), n)
        solved = run.solved.reshape(len(ks), n)
        # each puzzle's pick: its first solved trajectory, else the one that filled most
        pick = np.where(solved.any(0), solved.argmax(0), filled.argmax(0))          # (n,)
        take = pick * n + np.arange(n)
        better = solved.any(0) | (filled[pick, np.arange(n)] > (out.boards[pending] != EMPTY).sum(1))
        rows = pending[better]
        out.boards[rows], out.order[rows] = boards[take[better]], order[take[better]]
        out.confidence[rows] = confidence[take[better]]
        out.solved[pending] = solved.any(0)
        out.calls[pending] += run.calls.reshape(len(ks), n).max(0)
        out.trajectories[pending] += len(ks)
        pending = pending[~solved.any(0)]
        progress(n - len(pending))
        if not pending.size:
            break
    progress(len(pending))
    return out


def trajectory_symmetries(k: int) -> tuple[np.ndarray, np.ndarray]:
    """The symmetries of k trajectories: cell sources (k, 81) and digit maps (k, 10), the
    first the identity. Trajectory j's is fixed by j alone (a generator seeded with it),
    so decoding stays deterministic and more trajectories only add new ones."""
    drawn = [random_symmetries(1, np.random.default_rng([TRAJECTORY_SEED, j])) for j in range(1, k)]
    return (np.vstack([np.arange(N_CELLS), *(index for index, _ in drawn)]),
            np.vstack([np.arange(10), *(digits for _, digits in drawn)]))


def _board_frame(values: np.ndarray, index: np.ndarray, digit_back: np.ndarray | None = None):
    """Per-cell values (N, 81) of symmetric boards moved back to the boards' own cells
    (cell j of a variant is cell index[j] of its board); with `digit_back` (N, 10), the
    inverse digit maps, digits are relabelled back too."""
    back = np.empty_like(values)
    back[np.arange(len(values))[:, None], index] = values
    if digit_back is None:
        return back
    return np.take_along_axis(digit_back, back.astype(np.intp), 1).astype(values.dtype)


def _trajectory(model, per_step: int, batch_size: int, threshold: float, puzzles: np.ndarray,
                progress, group: np.ndarray | None = None) -> DecodeResult:
    """Iterative decoding of every board (see `iterative`). With `group` (B,) int, boards
    of one group stop together as soon as one of them ends solved."""
    boards = puzzles.copy()
    B = len(boards)
    calls = np.zeros(B, int)
    order = np.full((B, N_CELLS), -1)
    confidence = np.zeros((B, N_CELLS))
    active = np.flatnonzero((boards == EMPTY).any(1))
    progress(B - len(active))
    step = 0
    while active.size:
        probs = predict_in_batches(model, boards[active], batch_size)   # (A, 81, 9)
        calls[active] += 1
        stuck = np.zeros(len(active), bool)
        filling = np.arange(len(active))                                # rows of active still filling
        for fill in range(N_CELLS):
            sub = boards[active[filling]]
            legal = candidates_mask(sub) & (sub == EMPTY)[..., None]
            dead = ((sub == EMPTY) & ~legal.any(-1)).any(1)             # an empty cell with no digit
            score = np.where(legal, probs[filling], -1.0).reshape(len(filling), -1)
            best = score.argmax(1)                                      # over cell*9 + digit
            top = score[np.arange(len(filling)), best]
            movable = (top >= 0) & ~dead
            stuck[filling[~movable]] = True
            go = movable & ((fill < per_step) | (top >= threshold))
            rows, pick = filling[go], best[go]
            cells = pick // 9
            boards[active[rows], cells] = pick % 9 + 1
            order[active[rows], cells] = step
            confidence[active[rows], cells] = probs[rows, cells, pick % 9]
            filling = rows[(boards[active[rows]] == EMPTY).any(1)]
            if not filling.size:
                break
        before = len(active)
        finished = active[~stuck & ~(boards[active] == EMPTY).any(1)]
        active = active[~stuck & (boards[active] == EMPTY).any(1)]
        if group is not None:                       # a group is done once one board is solved
            won = group[finished[is_solved(puzzles[finished], boards[finished])]]
            active = active[~np.isin(group[active], won)]
        progress(before - len(active))
        step += 1
    return DecodeResult(boards, is_solved(puzzles, boards), calls, order, confidence)


def guided(model, puzzles: np.ndarray, *, max_calls: int = MAX_CALLS,
           batch_size: int = BATCH_SIZE, progress=None,
           threshold: float | None = None) -> DecodeResult:
    """Network-guided exact search (see `guided_search.guided_search`): every puzzle ends solved
    or proven to have no solution; after `max_calls` predictions a puzzle finishes with
    the exact solver. With `threshold`, each node first tries every cell whose digit the
    network gives at least that probability, all at once, and a node whose parent's
    prediction still has such a cell branches on it without a new call."""
    return guided_search(lambda boards: predict_in_batches(model, boards, batch_size), puzzles,
                         max_calls=max_calls, progress=progress or _ignore, threshold=threshold)


def auto(model, puzzles: np.ndarray, *, per_step: int = 1, max_calls: int = MAX_CALLS,
         batch_size: int = BATCH_SIZE, progress=None, threshold: float | None = None,
         search: tuple | None = None, trajectories: int = 1,
         wave: int | None = None) -> DecodeResult:
    """Iterative decoding (with its `trajectories`); where it gets stuck, guided search
    finishes the puzzle.

    A stuck board has an empty cell with no legal digit, so its last fills were wrong:
    they are undone, latest step first, until constraint propagation finds no
    contradiction, and the search goes on from the network's board there. If that board
    has no solution (an earlier fill was wrong too), the search starts again from the
    puzzle. `search`, if given, is the (network, threshold) the search uses; by default
    iterative's. `progress(n)` hears of puzzles as iterative decoding stops on them.
    """
    puzzles = np.atleast_2d(puzzles).astype(np.int8)
    first = iterative(model, puzzles, per_step=per_step, batch_size=batch_size, progress=progress,
                      threshold=threshold, trajectories=trajectories, wave=wave)
    model, threshold = search or (model, threshold)
    B = len(puzzles)
    out = replace(first, backtracks=np.zeros(B, int), no_solution=np.zeros(B, bool),
                  network_solved=first.solved.copy(), network_placed=first.order >= 0)
    stuck = np.flatnonzero(~first.solved)
    if not stuck.size:
        return out
    kept = _last_consistent_step(puzzles[stuck], first.boards[stuck], first.order[stuck])
    start = np.where(first.order[stuck] < kept[:, None], first.boards[stuck], puzzles[stuck])
    onward = guided(model, start, max_calls=max_calls, batch_size=batch_size, threshold=threshold)
    again = onward.no_solution
    out.network_placed[stuck] &= (first.order[stuck] < kept[:, None]) & ~again[:, None]
    _finish(out, stuck[~again], onward, ~again, step_offset=kept[~again])
    if again.any():
        restart = guided(model, puzzles[stuck[again]], max_calls=max_calls, batch_size=batch_size,
                         threshold=threshold)
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


def decode(model, puzzles: np.ndarray, *, strategy: str = AUTO, per_step: int = 1,
           max_calls: int = MAX_CALLS, batch_size: int = BATCH_SIZE,
           progress=None, threshold: float | None = None,
           search: tuple | None = None, trajectories: int = 1,
           wave: int | None = None) -> DecodeResult:
    """Solve (B, 81) puzzles with `AUTO` or one of `STRATEGIES`; `progress(n)` hears of n
    more done; `threshold` is iterative's and search's (see `iterative`, `guided`),
    `search`, if given, the (network, threshold) of `AUTO`'s search, and `trajectories`
    and `wave` iterative's (`AUTO`'s too). Each strategy takes the options it uses."""
    common = {"batch_size": batch_size, "progress": progress}
    many = {"trajectories": trajectories, "wave": wave}
    if strategy == AUTO:
        return auto(model, puzzles, per_step=per_step, max_calls=max_calls, threshold=threshold,
                    search=search, **common, **many)
    if strategy == "oneshot":
        return oneshot(model, puzzles, **common)
    if strategy == "iterative":
        return iterative(model, puzzles, per_step=per_step, threshold=threshold, **common, **many)
    if strategy == "search":
        return guided(model, puzzles, max_calls=max_calls, threshold=threshold, **common)
    raise ValueError(f"unknown strategy {strategy!r}; use one of {', '.join((AUTO, *STRATEGIES))}")


def _ignore(n: int) -> None:
    """A progress callback that does nothing."""
