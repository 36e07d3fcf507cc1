"""Guided depth-first search on candidate bitmasks, batched over many puzzles.

Every pending node is propagated at once (`candidates.propagate`); which cell to branch
on and which digit to try first come from a `predict` callable. Nothing here knows
about networks; `decode.guided` plugs one in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .board import EMPTY, N_CELLS, is_solved
from .candidates import POPCOUNT, allowed, propagate, to_boards, to_masks
from .result import DecodeResult
from . import solver

_PRIOR = 1e-6            # keeps a digit the network rules out (probability 0) orderable


@dataclass
class _Frame:
    """A node where the search branches: its masks, the network's view, digits left to
    try on its cell, and the bold child (many sure cells at once) to try before them."""

    masks: np.ndarray           # (81,) uint16, propagated
    probs: np.ndarray           # (81, 9) predicted at this node, or its parent's
    cell: int = -1
    digits: list = field(default_factory=list)
    bold: np.ndarray | None = None


def _branch(frames: list[_Frame], threshold: float | None = None) -> None:
    """Pick each frame's cell and digit order from its probabilities.

    Probabilities are renormalised over the digits the rules still allow, and the cell
    whose best digit is surest goes first: with a good network the most confident cell,
    with an uninformative one the cell with the fewest candidates. With a `threshold`,
    a frame where two or more open cells have a digit at least that sure first tries
    them all at once (its bold child); if that fails, the cell's digits follow one by
    one, so the search stays exhaustive.
    """
    masks = np.stack([f.masks for f in frames])                          # (F, 81)
    p, sure = _renormalised(frames)
    cells = sure.argmax(1)
    ranked = np.argsort(-p[np.arange(len(frames)), cells], axis=1, kind="stable")
    counts = POPCOUNT[masks[np.arange(len(frames)), cells]]
    for f, cell, digits, n in zip(frames, cells, ranked, counts):
        f.cell, f.digits = int(cell), [int(d) + 1 for d in digits[:n]]
    if threshold is None:
        return
    bold = sure >= threshold                                            # (F, 81)
    best = np.left_shift(1, p.argmax(-1)).astype(np.uint16)             # (F, 81) one bit each
    for f, cells_sure, bits in zip(frames, bold, best):
        if cells_sure.sum() >= 2:
            f.bold = np.where(cells_sure, bits, f.masks)


def _renormalised(frames: list[_Frame]) -> tuple[np.ndarray, np.ndarray]:
    """Each frame's probabilities over the digits its masks still allow, (F, 81, 9), and
    how sure the best digit of each open cell is, (F, 81) (-1 where a cell is decided)."""
    masks = np.stack([f.masks for f in frames])                          # (F, 81)
    probs = np.stack([f.probs for f in frames])                          # (F, 81, 9)
    legal = allowed(masks)                                               # (F, 81, 9)
    p = np.where(legal, probs + _PRIOR, 0.0)
    p /= p.sum(-1, keepdims=True)
    return p, np.where(POPCOUNT[masks] > 1, p.max(-1), -1.0)


def _still_sure(frames: list[_Frame], threshold: float | None) -> np.ndarray:
    """(F,) bool: the prediction a frame inherited from its parent, renormalised over its
    own candidates, still has an open cell at `threshold` (never without one)."""
    if threshold is None or not frames:
        return np.zeros(len(frames), bool)
    return _renormalised(frames)[1].max(1) >= threshold


def _next_child(stack: list[_Frame]) -> np.ndarray | None:
    """Masks of the next untried branch (popping exhausted frames), or None when none is left."""
    while stack and not stack[-1].digits:
        stack.pop()
    if not stack:
        return None
    top = stack[-1]
    if top.bold is not None:
        child, top.bold = top.bold, None
        return child
    child = top.masks.copy()
    child[top.cell] = 1 << (top.digits.pop(0) - 1)
    return child


def _trace(puzzle, solution, path: list[_Frame]) -> tuple[np.ndarray, np.ndarray]:
    """Step and confidence of each filled cell along the path of nodes to `solution`.

    Step 0 holds what propagation decided at the root, step k the k-th choice and what
    followed from it; a cell's confidence comes from the last prediction before it was
    filled (the root's own prediction for step 0).
    """
    order = np.full(N_CELLS, -1)
    confidence = np.zeros(N_CELLS)
    levels = [puzzle != EMPTY] + [POPCOUNT[f.masks] == 1 for f in path] + [solution != EMPTY]
    sources = [path[0]] + path
    for step, (before, after, node) in enumerate(zip(levels, levels[1:], sources)):
        new = np.flatnonzero(after & ~before)
        order[new] = step
        confidence[new] = node.probs[new, solution[new] - 1]
    return order, confidence


def guided_search(predict, puzzles: np.ndarray, *, max_calls: int = 32,
                  progress=lambda n: None, threshold: float | None = None) -> DecodeResult:
    """Exact depth-first search over (B, 81) puzzles, guided by `predict(boards) -> probs`.

    Each node is propagated, then (one batched `predict` for all puzzles' pending nodes)
    branched on its surest cell, digits most probable first; contradictions backtrack.
    With a `threshold`, a node first tries every cell the network is at least that sure
    of at once (see `_branch`), so a confident network needs fewer calls; and a node
    whose parent's prediction, renormalised over the node's own candidates, still has a
    cell that sure branches on it without asking the network again.
    A puzzle that has used `max_calls` predictions finishes with the exact solver, so
    every puzzle ends with a solution or a proof that it has none (`no_solution`).
    `progress(n)` hears of n more puzzles done after each round. A cell's `order` is the
    step it was filled in and its `confidence` the network's probability for its digit
    then (see `_trace`).
    """
    if max_calls < 1:
        raise ValueError(f"max_calls must be at least 1, got {max_calls}")
    puzzles = np.atleast_2d(puzzles).astype(np.int8)
    B = len(puzzles)
    boards = puzzles.copy()
    found = np.zeros(B, bool)
    calls = np.ones(B, int)
    backtracks = np.zeros(B, int)
    order = np.full((B, N_CELLS), -1)
    confidence = np.zeros((B, N_CELLS))
    stacks: list[list[_Frame]] = [[] for _ in range(B)]

    def finish(k: int, solution, path) -> None:
        boards[k], found[k] = solution, True
        order[k], confidence[k] = _trace(puzzles[k], solution, path)

    # the root is predicted as given, then propagated
    probs = predict(puzzles) if B else np.zeros((0, N_CELLS, 9))
    masks, ok = propagate(to_masks(puzzles))
    backtracks += ~ok
    nodes = {k: _Frame(masks[k], probs[k]) for k in np.flatnonzero(ok)}
    for k in list(nodes):
        if (POPCOUNT[masks[k]] == 1).all():
            finish(k, to_boards(masks[k]), [nodes.pop(k)])
    progress(B - len(nodes))
    while nodes:
        before = len(nodes)
        _branch(list(nodes.values()), threshold)
        for k, frame in nodes.items():
            stacks[k].append(frame)
        waiting, nodes = list(nodes), {}
        while waiting:                                  # find each puzzle's next live child
            children = {k: child for k in waiting
                        if (child := _next_child(stacks[k])) is not None}
            if not children:
                break
            masks, ok = propagate(np.stack(list(children.values())))
            waiting = []
            for k, child, live in zip(children, masks, ok):
                if not live:
                    backtracks[k] += 1
                    waiting.append(k)
                elif (POPCOUNT[child] == 1).all():
                    finish(k, to_boards(child), stacks[k])
                elif calls[k] >= max_calls:
                    solution, path, work = _solve_rest(child, stacks[k])
                    backtracks[k] += work
                    if solution is not None:
                        finish(k, solution, path)
                else:
                    nodes[k] = _Frame(child, stacks[k][-1].probs)       # the parent's view
        asking = [k for k, sure in zip(nodes, _still_sure(list(nodes.values()), threshold))
                  if not sure]
        if asking:
            probs = predict(to_boards(np.stack([nodes[k].masks for k in asking])))
            for k, p in zip(asking, probs):
                nodes[k].probs = p
            calls[asking] += 1
        progress(before - len(nodes))
    return DecodeResult(boards, found & is_solved(puzzles, boards), calls, order, confidence,
                        backtracks, ~found)


def _solve_rest(child: np.ndarray, stack: list[_Frame]):
    """Search the rest of a tree with the exact solver: `child`, then every untried branch
    from the deepest frame up. Returns (solution or None, its path of frames, backtracks)."""
    branches = [(child, len(stack))]
    for depth in range(len(stack) - 1, -1, -1):
        frame = stack[depth]
        for digit in frame.digits:
            masks = frame.masks.copy()
            masks[frame.cell] = 1 << (digit - 1)
            branches.append((masks, depth + 1))
    work = 0
    for masks, depth in branches:
        result = solver.solve_with_stats(to_boards(masks))
        work += result.backtracks
        if result.solutions:
            return result.solutions[0], stack[:depth], work
    return None, stack, work
