"""Stand-in networks and puzzles shared by the decoding and evaluation tests."""

import numpy as np

from sudoku_tf.board import EMPTY, has_conflict, parse_boards
from sudoku_tf.candidates import propagate, to_boards, to_masks
from sudoku_tf.generator import PuzzleSpec, generate_puzzles
from sudoku_tf.solver import solve

# a 17-given puzzle that needs guessing, and one that needs far more (21 givens)
HARD = parse_boards(
    "4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......\n"
    "8..........36......7..9.2...5...7.......457.....1...3...1....68..85...1..9....4..")[0]


class StandIn:
    """A network that looks up the known solution agreeing with each board it is shown.

    mode "true" puts all mass on that solution's digit, "wrong" spreads it over the
    other eight, "uniform" ignores the board. Boards that agree with no solution (a
    wrong branch) get uniform probabilities. Counts the boards it sees.
    """

    def __init__(self, solutions, mode="true"):
        self.solutions, self.mode, self.boards_seen = np.asarray(solutions), mode, 0

    def predict(self, tokens):
        tokens = np.asarray(tokens)
        self.boards_seen += len(tokens)
        agree = ((tokens[:, None] == EMPTY) | (tokens[:, None] == self.solutions[None])).all(2)
        truth = np.eye(9)[self.solutions[agree.argmax(1)] - 1]              # (B, 81, 9)
        probs = {"true": truth, "wrong": (1 - truth) / 8, "uniform": np.full_like(truth, 1 / 9)}
        return np.where(agree.any(1)[:, None, None], probs[self.mode], 1 / 9)


def singles_solve(puzzles) -> np.ndarray:
    """(N,) bool: whether naked and hidden singles alone fill each puzzle; the exact
    solver's count of guesses, worked out another way, is 0 exactly for these."""
    masks, ok = propagate(to_masks(np.asarray(puzzles)))
    return ok & (to_boards(masks) != EMPTY).all(1)


def wrong_given(puzzle, solution):
    """The puzzle with one more given that is legal but not the solution's: no solution."""
    board = puzzle.copy()
    for i in np.flatnonzero(puzzle == EMPTY):
        for digit in range(1, 10):
            board[i] = digit
            if digit != solution[i] and not has_conflict(board)[0]:
                return board
        board[i] = EMPTY
    raise AssertionError("no legal wrong digit")


def make_puzzles():
    """Unique puzzles from few givens to many, their solutions."""
    sets = [generate_puzzles(6, PuzzleSpec(givens), seed=5) for givens in ((24, 28), (36, 44))]
    puzzles = np.concatenate([HARD, *(p for p, _ in sets)])
    solutions = np.concatenate([[solve(p) for p in HARD], *(s for _, s in sets)])
    return puzzles, solutions
