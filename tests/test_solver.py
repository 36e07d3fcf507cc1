"""The exact solver against known answers, a brute-force reference, and itself."""

from pathlib import Path

import numpy as np
import pytest

from sudoku_tf.board import BOX, COL, ROW, is_valid_solution, parse_board, read_boards
from sudoku_tf.generator import random_grid
from sudoku_tf.solver import count_solutions, solve, solve_with_stats

DATA = Path(__file__).resolve().parent.parent / "data"
PEERS = [np.flatnonzero((ROW == ROW[i]) | (COL == COL[i]) | (BOX == BOX[i])) for i in range(81)]
# the puzzle Norvig's solver found hardest for itself, and its only solution
HARD = "4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......"
HARD_SOLUTION = "417369825632158947958724316825437169791586432346912758289643571573291684164875293"


def brute_force_solutions(board, limit=3):
    """All solutions (up to `limit`) by trying 1..9 in the first empty cell: slow but obvious."""
    board = board.copy()
    found = []

    def fill():
        empty = np.flatnonzero(board == 0)
        if empty.size == 0:
            found.append(board.copy())
            return
        i = empty[0]
        for digit in range(1, 10):
            if digit not in board[PEERS[i]]:
                board[i] = digit
                fill()
                board[i] = 0
                if len(found) >= limit:
                    return

    fill()
    return found


def test_known_puzzle_gets_its_known_solution():
    puzzles, solutions = read_boards(DATA / "example.csv")
    assert (solve(puzzles[0]) == solutions[0]).all()
    assert solve(puzzles[0]).dtype == np.int8
    assert (solve(parse_board(HARD)) == parse_board(HARD_SOLUTION)).all()
    assert count_solutions(parse_board(HARD), limit=5) == 1


def test_solved_grid_solves_to_itself_and_empty_grid_is_solved():
    grid = random_grid(np.random.default_rng(0))
    assert (solve(grid) == grid).all()
    assert is_valid_solution(np.zeros(81, np.int8), solve(np.zeros(81, np.int8)))
    assert count_solutions(np.zeros(81, np.int8), limit=10) == 10


@pytest.mark.parametrize("holes", [10, 30, 50])
def test_solver_agrees_with_brute_force_on_small_cases(holes):
    rng = np.random.default_rng(holes)
    for _ in range(12):
        grid = random_grid(rng)
        puzzle = grid.copy()
        puzzle[rng.choice(81, holes, replace=False)] = 0
        reference = brute_force_solutions(puzzle)
        result = solve_with_stats(puzzle, limit=3)
        assert len(result.solutions) == len(reference)
        found = {s.tobytes() for s in result.solutions}
        assert len(found) == len(reference)
        assert all(is_valid_solution(puzzle, s) for s in result.solutions)
        if len(reference) < 3:                     # both enumerated every solution
            assert found == {s.tobytes() for s in reference}
        assert is_valid_solution(puzzle, solve(puzzle))


def test_unsolvable_and_conflicting_boards_have_no_solution():
    puzzle = parse_board(HARD)
    puzzle[1] = 4                                  # two 4s in row 1
    assert solve(puzzle) is None and count_solutions(puzzle) == 0
    dead = np.zeros(81, np.int8)
    dead[:8] = np.arange(1, 9)
    dead[9 * 4 + 8] = 9                            # r1c9 must be 9, but column 9 has one
    assert brute_force_solutions(dead, 1) == []
    result = solve_with_stats(dead, limit=2)
    assert result.solutions == [] and result.backtracks >= 1


def test_solve_and_count_solutions_agree():
    rng = np.random.default_rng(7)
    for holes in range(40, 70, 3):
        grid = random_grid(rng)
        puzzle = grid.copy()
        puzzle[rng.choice(81, holes, replace=False)] = 0
        n = count_solutions(puzzle, limit=2)
        solution = solve(puzzle)
        assert n >= 1 and is_valid_solution(puzzle, solution)
        if n == 1:
            assert (solution == grid).all()
        else:
            assert len({s.tobytes() for s in solve_with_stats(puzzle, limit=2).solutions}) == 2


def test_statistics_count_the_work():
    easy = read_boards(DATA / "example.txt")[0][0]
    assert solve_with_stats(easy, limit=2).guesses == 0
    hard = solve_with_stats(parse_board(HARD), limit=2)
    assert hard.guesses > 0 and hard.backtracks > 0


def test_bad_board_shape_is_refused():
    with pytest.raises(ValueError, match="81 cells"):
        solve(np.zeros(80, np.int8))
    with pytest.raises(ValueError, match="81 cells"):
        solve(np.full(81, 10))
