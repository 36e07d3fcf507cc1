"""Generated grids and puzzles are valid and unique; symmetries keep pairs consistent."""

import time

import numpy as np
import pytest

from sudoku_tf.board import count_givens, has_conflict, is_valid_solution
from sudoku_tf import generator
from sudoku_tf.generator import (
    DIFFICULTIES, HARD_MAX_GUESSES, SYMMETRIES, GenerationError, PuzzleSpec, augment,
    generate_one, generate_puzzles, guesses, hardest_first, make_puzzle, random_grid, rate,
    remove_givens, walk_down,
)
from sudoku_tf.solver import count_solutions, solve_with_stats

from standin import HARD, singles_solve


def test_random_grids_are_valid_and_differ():
    rng = np.random.default_rng(0)
    grids = np.stack([random_grid(rng) for _ in range(20)])
    assert grids.dtype == np.int8 and (grids > 0).all()
    assert not has_conflict(grids).any()
    assert len({g.tobytes() for g in grids}) == 20


@pytest.mark.parametrize("givens", [22, 27, 36, 50])
def test_puzzles_have_one_solution_and_the_requested_givens(givens):
    rng = np.random.default_rng(givens)
    for _ in range(2):
        puzzle, solution = make_puzzle(givens, rng)
        assert count_givens(puzzle) == givens
        assert count_solutions(puzzle, limit=2) == 1
        assert is_valid_solution(puzzle, solution)


def test_the_walk_reaches_21_givens_uniquely_and_follows_the_seed():
    puzzle, solution = make_puzzle(21, np.random.default_rng(7))
    assert count_givens(puzzle) == 21
    assert count_solutions(puzzle, limit=2) == 1 and is_valid_solution(puzzle, solution)
    again, _ = make_puzzle(21, np.random.default_rng(7))
    assert (again == puzzle).all()


@pytest.mark.slow
def test_the_walk_reaches_20_givens():
    puzzle, solution = make_puzzle(20, np.random.default_rng(20))
    assert count_givens(puzzle) == 20
    assert count_solutions(puzzle, limit=2) == 1 and is_valid_solution(puzzle, solution)


def test_walk_moves_never_add_givens_and_keep_the_solution():
    rng = np.random.default_rng(3)
    solution = random_grid(rng)
    puzzle = remove_givens(solution, 17, rng)                  # a minimal puzzle
    counts = [count_givens(puzzle)]
    for _ in range(6):
        puzzle = walk_down(puzzle, solution, 17, rng, steps=2)
        counts.append(count_givens(puzzle))
        assert is_valid_solution(puzzle, solution) and count_solutions(puzzle) == 1
    assert counts == sorted(counts, reverse=True) and counts[-1] < counts[0]


def test_a_range_accepts_any_count_in_it_when_the_drawn_target_is_out_of_reach(monkeypatch):
    monkeypatch.setattr(generator, "WALK_STEPS", 10)           # walks stall quickly
    spec = PuzzleSpec((17, 24), time_budget=30)
    for seed in range(3):
        puzzle, _ = generate_one(spec, np.random.SeedSequence(seed))
        assert 17 <= count_givens(puzzle) <= 24 and count_solutions(puzzle) == 1


def test_too_few_givens_fails_clearly_when_the_budget_runs_out():
    with pytest.raises(GenerationError, match="no unique puzzle with 17 givens within the time"):
        make_puzzle(17, np.random.default_rng(0), deadline=time.monotonic() + 0.2)
    with pytest.raises(ValueError, match="between 17 and 81"):
        make_puzzle(16, np.random.default_rng(0))


def test_sets_are_deterministic_and_independent_of_worker_count():
    spec = PuzzleSpec(givens=(30, 40))
    one = generate_puzzles(6, spec, seed=3, workers=1)
    two = generate_puzzles(6, spec, seed=3, workers=2)
    assert (one[0] == two[0]).all() and (one[1] == two[1]).all()
    assert not (generate_puzzles(6, spec, seed=4)[0] == one[0]).all()
    givens = count_givens(one[0])
    assert ((givens >= 30) & (givens <= 40)).all()
    assert all(count_solutions(p) == 1 and is_valid_solution(p, s) for p, s in zip(*one))


def test_difficulty_request_is_met():
    for difficulty in ("easy", "hard"):
        puzzles, _ = generate_puzzles(3, PuzzleSpec((24, 34), difficulty), seed=1)
        assert [rate(p) for p in puzzles] == [difficulty] * 3


def test_rating_follows_the_solvers_work():
    rng = np.random.default_rng(5)
    labels = {}
    for givens in (45, 30, 25, 24):
        for _ in range(8):
            puzzle, _ = make_puzzle(givens, rng)
            labels.setdefault(rate(puzzle), []).append(solve_with_stats(puzzle, limit=2))
    assert set(labels) == set(DIFFICULTIES)                 # seed 5 draws every label
    assert all(w.guesses == 0 and w.hidden_singles == 0 for w in labels["easy"])
    assert all(w.guesses == 0 and w.hidden_singles > 0 for w in labels["medium"])
    assert all(0 < w.guesses <= HARD_MAX_GUESSES for w in labels["hard"])
    assert all(w.guesses > HARD_MAX_GUESSES for w in labels["expert"])


def test_guesses_rank_puzzles_hardest_first():
    rng = np.random.default_rng(2)
    solution = random_grid(rng)
    easy = remove_givens(solution, 50, rng)
    walked = make_puzzle(22, rng)[0]
    boards = np.stack([easy, HARD[0], easy, walked])
    work = guesses(boards)
    assert work.dtype == np.int32 and work[0] == work[2] == 0 and work[1] > 0
    assert ((work == 0) == singles_solve(boards)).all()
    assert hardest_first(np.array([0, 5, 2, 5])).tolist() == [1, 3, 2, 0]


def test_bad_specs_are_refused():
    with pytest.raises(ValueError, match="lo <= hi"):
        PuzzleSpec(givens=(50, 10))
    with pytest.raises(ValueError, match="difficulty"):
        PuzzleSpec(givens=(20, 30), difficulty="fiendish")
    with pytest.raises(ValueError, match="unknown symmetries"):
        augment(np.zeros((1, 81), np.int8), np.zeros((1, 81), np.int8),
                np.random.default_rng(0), kinds=("mirror",))


@pytest.fixture(scope="module")
def pairs():
    rng = np.random.default_rng(11)
    made = [make_puzzle(30, rng) for _ in range(16)]
    return np.stack([p for p, _ in made]), np.stack([s for _, s in made])


def _rows(board):
    return board.reshape(9, 9)


def _same_blocks(a, b, block):
    """Each of the three blocks of `a` holds the same set of lines as the same block of `b`."""
    return all(sorted(map(tuple, a[k * 3:k * 3 + 3])) == sorted(map(tuple, b[k * 3:k * 3 + 3]))
               for k in range(3)) if block == "line" else (
        sorted(a.reshape(3, -1).tolist()) == sorted(b.reshape(3, -1).tolist()))


# what each transformation alone must leave unchanged, on 9x9 solution grids
INVARIANTS = {
    "digits": lambda a, b: ((a == a[0, 0]) == (b == b[0, 0])).all(),   # same shape, new labels
    "rows": lambda a, b: _same_blocks(a, b, "line"),
    "columns": lambda a, b: _same_blocks(a.T, b.T, "line"),
    "bands": lambda a, b: _same_blocks(a, b, "block"),
    "stacks": lambda a, b: _same_blocks(a.T, b.T, "block"),
    "transpose": lambda a, b: (a == b).all() or (a == b.T).all(),
}


@pytest.mark.parametrize("kind", SYMMETRIES)
def test_each_symmetry_keeps_pairs_valid_and_consistent(pairs, kind):
    puzzles, solutions = pairs
    rng = np.random.default_rng(0)
    new_puzzles, new_solutions = augment(puzzles, solutions, rng, kinds=(kind,))
    assert new_puzzles.dtype == np.int8 and new_puzzles.shape == puzzles.shape
    assert (count_givens(new_puzzles) == 30).all()
    changed = 0
    for p, s, old_p, old_s in zip(new_puzzles, new_solutions, puzzles, solutions):
        assert is_valid_solution(p, s)
        assert count_solutions(p) == 1
        assert INVARIANTS[kind](_rows(s), _rows(old_s)), kind
        changed += not (s == old_s).all()
    assert changed >= 4                                     # the transformation really acts


def test_all_symmetries_together_keep_pairs_valid_and_follow_the_seed(pairs):
    puzzles, solutions = pairs
    rng = np.random.default_rng(1)
    new_puzzles, new_solutions = augment(puzzles, solutions, rng)
    assert all(is_valid_solution(p, s) for p, s in zip(new_puzzles, new_solutions))
    assert (count_givens(new_puzzles) == count_givens(puzzles)).all()
    assert (augment(puzzles, solutions, np.random.default_rng(1))[0] == new_puzzles).all()
