"""The Python front door: `from sudoku_tf import Solver, solve, load_model` decodes as
`sudoku-tf solve` does, with the model's stored settings, from any working directory."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import sudoku_tf
from sudoku_tf import Solution, Solver, load_model, solve
from sudoku_tf.board import PuzzleError, parse_board
from sudoku_tf.cli import cli
from sudoku_tf.models import store_settings
from sudoku_tf.nn import ModelFileError, NetworkN

DATA = Path(__file__).resolve().parent.parent / "data"
PUZZLE, SOLUTION = (DATA / "example.csv").read_text().splitlines()[1].split(",")
NO_SOLUTION = PUZZLE[:2] + "1" + PUZZLE[3:]          # a legal but wrong 1 at r1c3


def cli_records(*args):
    result = CliRunner().invoke(cli, ["solve", *map(str, args), "--format", "json"])
    assert result.exit_code in (0, 1), result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_user_outside_the_checkout_solves_with_the_shipped_model(tmp_path):
    script = ("from sudoku_tf import solve\n"
              f"s = solve({PUZZLE!r})\n"
              "print(s.line, s.solved, s.calls, int(s.network_cells.sum()))\n")
    package_home = Path(sudoku_tf.__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                         text=True, env={"PYTHONPATH": str(package_home), "PATH": ""})
    assert out.returncode == 0, out.stderr
    line, solved, calls, network_cells = out.stdout.split()
    record, = cli_records(PUZZLE)                         # the shipped model, as the CLI runs it
    assert (line, solved, network_cells) == (SOLUTION, "True", str(PUZZLE.count(".")))
    assert int(calls) == record["calls"] and int(network_cells) == record["network_cells"]


def test_the_shipped_models_stored_settings_apply_unless_overridden():
    shipped = load_model()
    solver = Solver()
    assert shipped.settings and solver.strategy == "auto"
    assert {name: solver.settings[name] for name in shipped.settings} == shipped.settings
    assert solver.refining.passes == shipped.settings["passes"]
    search = Solver(strategy="search").settings
    assert search["threshold"] == shipped.settings.get("search_threshold", search["threshold"])
    plain = Solver(shipped, as_trained=True, symmetries=2)
    assert plain.settings["symmetries"] == 2
    assert plain.refining.passes == shipped.network.config()["n_loops"]


def test_a_solver_decodes_as_the_command_line_does_with_the_files_settings(tiny_model_file):
    store_settings(tiny_model_file, {"symmetries": 2, "threshold": 0.2, "search_threshold": 0.3})
    puzzles = [PUZZLE, NO_SOLUTION]
    for strategy in ("auto", "search", "iterative"):
        solver = Solver(tiny_model_file, strategy=strategy)
        answers = solver.solve(puzzles)
        records = [cli_records(p, "--model", tiny_model_file, "--strategy", strategy)[0]
                   for p in puzzles]
        assert [a.line for a in answers] == [r["board"] for r in records]
        assert [a.calls for a in answers] == [r["calls"] for r in records]
        assert [a.solved for a in answers] == [r["solved"] for r in records]
    assert Solver(tiny_model_file, strategy="search").settings["threshold"] == 0.3
    assert Solver(tiny_model_file, threshold=0.9).settings["threshold"] == 0.9


def test_one_puzzle_gives_a_solution_and_a_batch_a_list_in_any_form(tiny_model_file):
    solver = Solver(tiny_model_file, strategy="search")
    board = parse_board(PUZZLE)
    grid = (DATA / "example_grid.txt").read_text()
    for one in (PUZZLE, grid, board, board.reshape(9, 9), board.tolist()):
        answer = solver.solve(one)
        assert isinstance(answer, Solution) and answer.solved and answer.line == SOLUTION
        assert answer.grid.shape == answer.puzzle.shape == (9, 9)
    for batch in ([PUZZLE, grid], np.stack([board, board]), np.stack([board, board]).reshape(2, 9, 9),
                  board[None]):
        answers = solver.solve(batch)
        assert isinstance(answers, list) and len(answers) == len(batch)
        assert all(a.line == SOLUTION for a in answers)


def test_the_result_says_which_cells_the_network_filled(tiny_model_file):
    auto = solve(PUZZLE, tiny_model_file)                 # an untrained network gets stuck
    record, = cli_records(PUZZLE, "--model", tiny_model_file)
    empty = parse_board(PUZZLE).reshape(9, 9) == 0
    assert auto.solved and auto.network_cells.sum() == record["network_cells"] < empty.sum()
    assert not (auto.network_cells & ~empty).any() and auto.seconds > 0
    assert len(re.findall(r"\d\*", str(auto))) == auto.network_cells.sum()
    assert len(re.findall(r"\d\+", str(auto))) == empty.sum() - auto.network_cells.sum()
    alone = solve(PUZZLE, tiny_model_file, strategy="oneshot")
    assert (alone.network_cells == empty).all()
    searched = solve(NO_SOLUTION, tiny_model_file, strategy="search")
    assert searched.no_solution and not searched.solved and not searched.network_cells.any()


@pytest.mark.parametrize("bad, message", [
    (PUZZLE[:80], "81"),
    ("55" + PUZZLE[2:], "both hold 5"),
    (np.full(81, 10), "0 \\(empty\\) or a digit"),
    (np.zeros((2, 80), int), "shape \\(2, 80\\)"),
    (np.zeros(81, float), "float64"),
])
def test_a_bad_puzzle_is_refused_naming_what_is_wrong(tiny_model_file, bad, message):
    with pytest.raises(PuzzleError, match=message):
        Solver(tiny_model_file).solve(bad)


def test_a_network_trained_in_python_solves_as_trained_and_anything_else_is_refused(
        tiny_model_file):
    network = load_model(tiny_model_file).network
    solver = Solver(network, strategy="search", symmetries=2)
    assert solver.model.settings == {} and solver.settings["symmetries"] == 2
    assert solver.solve(PUZZLE).line == SOLUTION
    with pytest.raises(ModelFileError, match="the network given: .* not a Sudoku model"):
        Solver(NetworkN([2, 3, 1]))


def test_bad_options_are_refused_before_any_decoding(tiny_model_file):
    with pytest.raises(ValueError, match="unknown strategy 'guess'"):
        Solver(tiny_model_file, strategy="guess")
    with pytest.raises(ValueError, match="unknown decoding setting 'symetries'"):
        Solver(tiny_model_file, symetries=2)
    with pytest.raises(ValueError, match="symmetries must be an integer in 1-1000"):
        Solver(tiny_model_file, symmetries=0)
