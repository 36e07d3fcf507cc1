"""Candidate bitmasks and rule propagation."""

import numpy as np

from sudoku_tf.board import EMPTY
from sudoku_tf.candidates import ALL, allowed, propagate, to_boards, to_masks


def test_masks_and_boards_round_trip_with_all_nine_digits_open_on_empty_cells(puzzles):
    boards, _ = puzzles
    masks = to_masks(boards)
    assert (masks[boards == EMPTY] == ALL).all()
    assert (to_boards(masks) == boards).all()


def test_allowed_lists_the_digits_of_each_mask():
    masks = np.array([[ALL, 0b000010100, 1 << 8]], np.uint16)
    digits = [list(np.flatnonzero(row) + 1) for row in allowed(masks)[0]]
    assert digits == [list(range(1, 10)), [3, 5], [9]]


def test_propagate_keeps_the_solution_and_decides_only_true_digits(puzzles):
    boards, solutions = puzzles
    masks, ok = propagate(to_masks(boards))
    assert ok.all()
    assert ((masks >> (solutions - 1).astype(np.uint16)) & 1).all()    # solution bit kept
    decided = to_boards(masks)
    assert ((decided == EMPTY) | (decided == solutions)).all()
    assert (decided != EMPTY).sum() > (boards != EMPTY).sum()


def test_propagate_solves_a_singles_puzzle_and_flags_contradictions(puzzles):
    boards, solutions = puzzles
    easy = boards[-1]                                       # 36-44 givens
    masks, ok = propagate(to_masks(easy[None]))
    assert ok[0] and (to_boards(masks)[0] == solutions[-1]).all()
    twice = np.zeros((1, 81), np.int8)
    twice[0, :2] = 5                                        # one digit twice in a row
    assert not propagate(to_masks(twice))[1][0]


def test_propagate_by_rounds_reaches_the_same_end(puzzles):
    boards, _ = puzzles
    closed = to_boards(propagate(to_masks(boards))[0])
    masks, path = to_masks(boards), [boards]
    for _ in range(81):
        masks, _ = propagate(masks, rounds=1)
        path.append(to_boards(masks))
    decided = [(b != EMPTY).sum() for b in path]
    assert decided[1] < decided[-1]                         # one round is not the whole way
    assert all(a <= b for a, b in zip(decided, decided[1:]))
    assert (path[-1] == closed).all()
