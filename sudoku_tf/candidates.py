"""Sudoku's candidate bitmasks and rule propagation, batched over many boards.

A cell's candidates are nine bits (bit d - 1: digit d still possible). Naked and hidden
singles run in NumPy on every board at once; search, data preparation and the decoders
build on them. Nothing here knows about networks.
"""

from __future__ import annotations

import numpy as np

from .board import CELL_UNITS, EMPTY, UNITS

ALL = 0x1FF                                             # bit d - 1 set: digit d still possible
POPCOUNT = np.array([bin(m).count("1") for m in range(ALL + 1)], np.int8)
DIGIT_OF = np.zeros(ALL + 1, np.int8)                   # single-bit mask -> its digit, else 0
DIGIT_OF[1 << np.arange(9)] = np.arange(1, 10)
_SHIFTS = np.arange(9, dtype=np.uint16)


def to_masks(boards: np.ndarray) -> np.ndarray:
    """(B, 81) boards -> (B, 81) uint16 candidates: a given's own bit, all nine when empty."""
    boards = np.asarray(boards)
    given = np.left_shift(1, np.maximum(boards.astype(np.int32) - 1, 0)).astype(np.uint16)
    return np.where(boards == EMPTY, np.uint16(ALL), given)


def to_boards(masks: np.ndarray) -> np.ndarray:
    """(B, 81) candidates -> (B, 81) int8 boards: the digit of each decided cell, else 0."""
    return DIGIT_OF[masks]


def allowed(masks: np.ndarray) -> np.ndarray:
    """(..., 81) candidates -> (..., 81, 9) bool: class c (digit c + 1) still possible."""
    return (masks[..., None] >> _SHIFTS) & 1 == 1


def _unit_once_twice(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per unit (B, 27): digits seen in at least one cell of it, and in at least two."""
    cells = masks[:, UNITS]                             # (B, 27, 9)
    once = np.zeros(cells.shape[:2], np.uint16)
    twice = np.zeros_like(once)
    for k in range(9):
        twice |= once & cells[:, :, k]
        once |= cells[:, :, k]
    return once, twice


def _around(unit_bits: np.ndarray) -> np.ndarray:
    """(B, 27) bits per unit -> (B, 81): the union over each cell's row, column and box."""
    per_cell = unit_bits[:, CELL_UNITS]                 # (B, 81, 3)
    return per_cell[:, :, 0] | per_cell[:, :, 1] | per_cell[:, :, 2]


def propagate(masks: np.ndarray, rounds: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Apply naked and hidden singles to (B, 81) candidate masks until nothing changes
    (or for at most `rounds` rounds, each applying both once to every cell).

    Returns the reduced masks and ok (B,) bool; ok is False where a contradiction shows
    up: a cell with no candidate, a digit decided twice in a unit, a digit with no place
    left in a unit, or a cell that is the only place for two digits.
    """
    masks = np.array(masks, np.uint16)
    ok = np.ones(len(masks), bool)
    rows = np.arange(len(masks))
    done = 0
    while rows.size and (rounds is None or done < rounds):
        done += 1
        m = masks[rows]
        single = POPCOUNT[m] == 1
        decided, clash = _unit_once_twice(np.where(single, m, 0))
        # naked singles: a decided digit leaves the other cells of its units
        m = np.where(single, m, m & ~_around(decided))
        # hidden singles: a digit with one place left in a unit goes there
        placed, crowded = _unit_once_twice(m)
        hidden = _around(placed & ~crowded) & m
        bad = ((clash != 0).any(1) | (placed != ALL).any(1)
               | (POPCOUNT[hidden] > 1).any(1))
        m = np.where(hidden != 0, hidden, m)
        bad |= (m == 0).any(1)
        changed = (m != masks[rows]).any(1)
        masks[rows] = m
        ok[rows[bad]] = False
        rows = rows[changed & ~bad]
    return masks, ok
