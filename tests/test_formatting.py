"""Results as the command line shows them: records for JSON, solve's summary line and
the evaluation table."""

import numpy as np

from sudoku_tf.decode import decode
from sudoku_tf.formatting import format_eval, format_solved, records, solve_summary
from sudoku_tf.result import DecodeResult
from sudoku_tf.solver import count_solutions

from standin import StandIn


def test_records_describe_each_puzzle_for_json(puzzles):
    boards, solutions = puzzles
    result = decode(StandIn(solutions), boards[:2], strategy="search")
    first = records(boards[:2], result, trace=True)[0]
    assert first["solved"] and first["solution"] == first["board"]
    assert set(first) == {"index", "puzzle", "solved", "solution", "board", "unique", "calls",
                          "backtracks", "no_solution", "trace"}
    assert "backtracks" not in records(boards[:1], decode(StandIn(solutions), boards[:1],
                                                          strategy="oneshot"))[0]


def test_a_line_says_when_its_puzzle_is_not_solved_or_not_unique(puzzles):
    boards, solutions = puzzles
    opened = boards[2].copy()
    opened[np.flatnonzero(opened)[:12]] = 0                       # 12 givens fewer: many answers
    assert count_solutions(opened) == 2
    cases = np.stack([boards[2], opened, boards[3]])
    wrong = decode(StandIn(solutions[[2, 2, 3]], mode="wrong"), cases[2:], strategy="oneshot")
    right = decode(StandIn(solutions[[2, 2, 3]]), cases[:2], strategy="search")
    lines = [format_solved(r, None, None, "line", False)
             for r in records(cases[:2], right) + records(cases[2:], wrong)]
    assert [line[81:] for line in lines] == ["", " not unique", " not solved"]
    assert [r["unique"] for r in records(cases[:2], right)] == [True, False]
    grid = format_solved(records(cases[:2], right)[1], opened, right.boards[1], "grid",
                         False).splitlines()[0]
    assert grid.startswith("puzzle 2: solved") and "not unique" in grid


def test_solve_summary_counts_what_the_network_did_alone_only_when_known():
    result = DecodeResult(np.zeros((2, 81), np.int8), np.array([True, False]), np.array([1, 4]))
    assert solve_summary(result, "iterative", 1.234, 1, 6.0) == (
        "solved 1 of 2 puzzles with iterative in 1.23 s (2.5 network calls per puzzle, "
        "6.0 passes per call)")
    result.network_solved = np.array([True, False])
    assert "(the network alone solved 1; " in solve_summary(result, "auto", 1, 8, 6.0)
    assert solve_summary(result, "auto", 1, 8, 6.0).endswith("averaged over 8 symmetries)")


def test_the_evaluation_table_has_a_row_for_all_and_one_per_range_of_givens():
    row = {"puzzles": 4, "solve_rate": 0.5, "cell_accuracy": 0.9, "mean_calls": 2.0,
           "median_calls": 2.0}
    report = {"file": "f.csv", "model": "m.npz", "strategy": "search", "symmetries": 1,
              "passes": 6, "halt_after": None, "confident": None, "mean_passes": 6.0,
              **row, "puzzles_per_second": 3.0, "by_givens": [{"givens": "23-27", **row}]}
    lines = format_eval(report).splitlines()
    assert lines[0] == "f.csv: search with m.npz, 6 passes per call"
    assert lines[2].split() == ["all", "4", "50.0%", "90.0%", "2.00", "2.0", "3.0"]
    assert lines[3].split() == ["23-27", "4", "50.0%", "90.0%", "2.00", "2.0"]
