"""The exact solver: bitmask candidates, naked and hidden singles, most-constrained cell first.

Pure Python on plain lists (faster than NumPy for one board). It is the referee every
neural result is checked against; difficulty labels come from its statistics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .board import CELL_UNITS, N_CELLS, UNITS
from .candidates import ALL

_CELL_UNITS = [tuple(int(u) for u in units) for units in CELL_UNITS]
_UNITS = [tuple(int(i) for i in unit) for unit in UNITS]
_BIT = [0] + [1 << (d - 1) for d in range(1, 10)]
_DIGIT = {1 << (d - 1): d for d in range(1, 10)}
_COUNT = [bin(m).count("1") for m in range(ALL + 1)]
_BITS = [[b for b in _BIT[1:] if m & b] for m in range(ALL + 1)]


@dataclass
class SolveResult:
    """Solutions found (up to the limit) and the work it took.

    hidden_singles: cells placed because a digit had one place left in a unit (tried
    only when no cell has a single candidate); guesses: digits tried at cells where
    propagation left a choice; backtracks: contradictions met.
    """

    solutions: list[np.ndarray] = field(default_factory=list)
    hidden_singles: int = 0
    guesses: int = 0
    backtracks: int = 0


def solve_with_stats(board, limit: int = 1) -> SolveResult:
    """Find up to `limit` solutions of `board` ((81,) ints, 0 = empty) and count the work."""
    result = SolveResult()
    grid = np.asarray(board).ravel().tolist()
    if len(grid) != N_CELLS or not all(0 <= v <= 9 for v in grid):
        raise ValueError("a board is 81 cells holding 0 (empty) or a digit 1-9")
    used = [0] * 27                               # digits placed in each unit, as bits
    for i, v in enumerate(grid):
        if v:
            bit = _BIT[v]
            r, c, b = _CELL_UNITS[i]
            if (used[r] | used[c] | used[b]) & bit:
                return result                     # the givens already conflict
            used[r] |= bit
            used[c] |= bit
            used[b] |= bit
    stats = [0, 0, 0]                             # hidden singles, guesses, backtracks
    found = []
    _backtrack(grid, used, limit, found, stats)
    result.solutions = [np.array(s, dtype=np.int8) for s in found]
    result.hidden_singles, result.guesses, result.backtracks = stats
    return result


def solve(board) -> np.ndarray | None:
    """The first solution of `board` as (81,) int8, or None if it has none."""
    solutions = solve_with_stats(board, limit=1).solutions
    return solutions[0] if solutions else None


def count_solutions(board, limit: int = 2) -> int:
    """The number of solutions of `board`, counting no further than `limit`."""
    return len(solve_with_stats(board, limit=limit).solutions)


def _backtrack(grid, used, limit, found, stats) -> None:
    """Depth-first search; appends complete grids to `found` until it holds `limit`."""
    empties = [i for i in range(N_CELLS) if not grid[i]]
    cands = [0] * N_CELLS
    while True:
        # naked singles: place every cell with one candidate; remember the tightest other
        best, best_count, placed, still_empty = -1, 10, False, []
        for i in empties:
            r, c, b = _CELL_UNITS[i]
            cand = ALL & ~(used[r] | used[c] | used[b])
            if not cand:
                stats[2] += 1
                return
            if cand & (cand - 1):
                cands[i] = cand
                still_empty.append(i)
                if _COUNT[cand] < best_count:
                    best, best_count = i, _COUNT[cand]
            else:
                grid[i] = _DIGIT[cand]
                used[r] |= cand
                used[c] |= cand
                used[b] |= cand
                placed = True
        empties = still_empty
        if not empties:
            found.append(grid[:])
            return
        if placed:
            continue
        # hidden singles: a digit with one possible cell in a unit goes there
        for u, unit in enumerate(_UNITS):
            once = twice = 0
            for i in unit:
                cand = cands[i] if not grid[i] else 0
                twice |= once & cand
                once |= cand
            if (once | used[u]) != ALL:
                stats[2] += 1                     # some digit has no cell left in this unit
                return
            only = once & ~twice & ~used[u]       # cands may be stale: skip placed digits
            if only:
                for i in unit:
                    if grid[i]:
                        continue
                    bit = cands[i] & only
                    if bit:
                        r, c, b = _CELL_UNITS[i]
                        if bit & (bit - 1) or (used[r] | used[c] | used[b]) & bit:
                            stats[2] += 1         # two hidden singles collide
                            return
                        grid[i] = _DIGIT[bit]
                        used[r] |= bit
                        used[c] |= bit
                        used[b] |= bit
                        stats[0] += 1
                        placed = True
        if placed:
            empties = [i for i in empties if not grid[i]]
            continue
        break
    # no single left: try each candidate of the most constrained cell
    r, c, b = _CELL_UNITS[best]
    for bit in _BITS[cands[best]]:
        stats[1] += 1
        child_grid, child_used = grid[:], used[:]
        child_grid[best] = _DIGIT[bit]
        child_used[r] |= bit
        child_used[c] |= bit
        child_used[b] |= bit
        _backtrack(child_grid, child_used, limit, found, stats)
        if len(found) >= limit:
            return
