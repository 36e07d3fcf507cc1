"""Scoring decoded boards: solve rates and accuracy by givens."""

import numpy as np
import pytest

from sudoku_tf.evaluation import GIVEN_BUCKETS, evaluate, one_call_accuracy, solve_rate_error

from standin import StandIn, wrong_given


def test_evaluate_breaks_results_down_by_givens(puzzles):
    boards, solutions = puzzles
    report = evaluate(StandIn(solutions, "uniform"), boards, strategy="search", by_givens=True)
    assert report["puzzles"] == len(boards) and report["solve_rate"] == 1.0
    assert sum(row["puzzles"] for row in report["by_givens"]) == len(boards)
    assert {row["givens"] for row in report["by_givens"]} <= {b[2] for b in GIVEN_BUCKETS}
    assert report["cell_accuracy"] < 0.5 and report["puzzles_per_second"] > 0
    oracle = evaluate(StandIn(solutions), boards, solutions)          # what training calls
    assert oracle["cell_accuracy"] == oracle["solve_rate"] == oracle["oneshot_solve_rate"] == 1.0
    with pytest.raises(ValueError, match="puzzle 1 has no solution"):
        evaluate(StandIn(solutions), wrong_given(boards[0], solutions[0]), None)


def test_evaluate_counts_searchs_backtracks(puzzles):
    boards, solutions = puzzles
    fooled = evaluate(StandIn(solutions, "wrong"), boards, solutions, strategy="search",
                      by_givens=True, by_difficulty=True)
    assert fooled["mean_backtracks"] > 0 and fooled["max_backtracks"] >= fooled["mean_backtracks"]
    assert all("mean_backtracks" in row for row in fooled["by_givens"] + fooled["by_difficulty"])
    guided = evaluate(StandIn(solutions), boards, solutions, strategy="search")
    assert guided["mean_backtracks"] == guided["max_backtracks"] == 0
    assert "mean_backtracks" not in evaluate(StandIn(solutions), boards, solutions,
                                             strategy="iterative")


@pytest.mark.parametrize("strategy", ["oneshot", "iterative", "search"])
def test_evaluate_progress_hears_of_every_puzzle_once(puzzles, strategy):
    boards, solutions = puzzles
    done = []
    report = evaluate(StandIn(solutions), boards, solutions, strategy=strategy, by_givens=True,
                      progress=done.append)
    assert sum(done) == len(boards) and report["puzzles"] == len(boards)


def test_one_call_accuracy_weighs_puzzles_alike_and_gives_its_standard_error(puzzles):
    boards, solutions = puzzles
    assert one_call_accuracy(StandIn(solutions), boards, solutions) == (1.0, 0.0)
    assert one_call_accuracy(StandIn(solutions, "wrong"), boards, solutions)[0] == 0.0
    # one board with every empty cell right, one with every one wrong: mean 0.5, and the
    # standard error of two values 1 and 0 is their std (0.707) / sqrt(2) = 0.5
    right, wrong = StandIn(solutions[:1]), StandIn(solutions[1:2], "wrong")

    class Half:
        def predict(self, tokens):
            return np.concatenate([right.predict(tokens[:1]), wrong.predict(tokens[1:])])

    mean, error = one_call_accuracy(Half(), boards[:2], solutions[:2])
    assert mean == 0.5 and error == pytest.approx(0.5)


def test_solve_rate_error_is_the_binomial_standard_error():
    assert solve_rate_error(0.5, 100) == pytest.approx(0.05)       # sqrt(0.25 / 100)
    assert solve_rate_error(0.9, 1000) == pytest.approx(0.0094868, rel=1e-4)
    assert solve_rate_error(1.0, 10) == 0.0                          # all solved: no spread


def test_a_grid_below_17_givens_is_counted_in_its_own_row(puzzles):
    boards, solutions = puzzles
    empty = np.zeros((1, 81), np.int8)
    report = evaluate(StandIn(solutions[:1]), np.vstack([empty, boards[:1]]),
                      np.vstack([solutions[:1], solutions[:1]]), by_givens=True)
    rows = {row["givens"]: row["puzzles"] for row in report["by_givens"]}
    assert rows["0-16"] == 1 and sum(rows.values()) == 2
