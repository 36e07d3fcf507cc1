"""`sudoku-tf solve` and `sudoku-tf eval` end to end with a tiny untrained model file:
every output format, standard input, literal puzzles, exit codes and refusals."""

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from corrupt import CORRUPTIONS
from standin import HARD

from sudoku_tf.board import format_line, parse_board, read_boards
from sudoku_tf.cli import cli
from sudoku_tf.nn import NetworkN, save
from sudoku_tf.train import TrainConfig, build_model

DATA = Path(__file__).resolve().parent.parent / "data"
PUZZLE, SOLUTION = (DATA / "example.csv").read_text().splitlines()[1].split(",")
# the example with a wrong but legal 1 at r1c3: it looks fine and has no solution
NO_SOLUTION = PUZZLE[:2] + "1" + PUZZLE[3:]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny.npz"
    save(build_model(TrainConfig(d_model=16, n_heads=2, d_ff=32, n_blocks=1, n_loops=1)), path)
    return str(path)


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def solve(model, *args, input=None):
    """Runs solve; with no --strategy given, the exact search (an untrained model's
    iterative guesses would fail)."""
    strategy = [] if "--strategy" in args else ["--strategy", "search"]
    return run("solve", *args, *strategy, "--model", model, input=input)


def test_by_default_search_finishes_what_the_network_cannot(model):
    result = run("solve", PUZZLE, "--model", model)          # untrained: iterative gets stuck
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("puzzle 1: solved, the search finished it (")
    assert [cell.rstrip("*+") for cell in lines[1].split()] == list("534|678|912")
    assert "with auto" in result.stderr and "the network alone solved 0;" in result.stderr
    record = json.loads(run("solve", PUZZLE, "--model", model, "--format", "json").stdout)
    assert record["solution"] == SOLUTION and record["network_solved"] is False
    cells = " ".join(lines[1:]).split()
    network, searched = sum(c[-1] == "*" for c in cells), sum(c[1:] == "+" for c in cells)
    assert network == record["network_cells"] and network + searched == PUZZLE.count(".")
    assert searched > 0
    unsolvable = run("solve", NO_SOLUTION, "--model", model)
    assert unsolvable.exit_code == 1 and unsolvable.stdout.startswith("puzzle 1: no solution")


def test_a_pure_network_strategy_that_fails_points_to_auto_and_search(model):
    result = run("solve", PUZZLE, "--model", model, "--strategy", "iterative")
    assert result.exit_code == 1
    assert "with iterative" in result.stderr and "network alone" not in result.stderr
    assert "--strategy auto or search always finds the solution" in result.stderr


def test_eval_measures_only_the_pure_strategies(model):
    result = run("eval", DATA / "example.csv", "--model", model, "--strategy", "auto")
    assert result.exit_code == 2 and "Invalid value for '--strategy'" in result.stderr
    assert "[default: iterative]" in " ".join(run("eval", "--help").stdout.split())


def test_solve_prints_a_grid_marking_the_filled_cells(model):
    result = solve(model, DATA / "example.txt")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("puzzle 1: solved (")
    assert lines[1].split() == ["5", "3", "4*", "|", "6*", "7", "8*", "|", "9*", "1*", "2*"]
    assert result.stdout.count("*") == PUZZLE.count(".")
    assert "solved 1 of 1 puzzles with search" in result.stderr


@pytest.mark.parametrize("source", ["example.txt", "example_grid.txt", "example.csv"])
def test_solve_reads_every_file_format_and_prints_lines(model, source):
    result = solve(model, DATA / source, "--format", "line")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SOLUTION + "\n"


def test_solve_reads_standard_input_and_a_literal_puzzle(model):
    zeros = NO_SOLUTION.replace(".", "0")
    piped = solve(model, "-", "--format", "line", input=f"{PUZZLE}\n{zeros}\n")
    assert piped.exit_code == 1
    assert piped.stdout.splitlines()[0] == SOLUTION
    literal = solve(model, PUZZLE, "--format", "line")
    assert literal.exit_code == 0 and literal.stdout == SOLUTION + "\n"


def test_solve_json_lines_with_trace(model):
    result = solve(model, "-", "--format", "json", "--trace", input=f"{PUZZLE}\n{PUZZLE}\n")
    assert result.exit_code == 0, result.stderr
    first, second = map(json.loads, result.stdout.splitlines())
    assert first["solved"] and first["solution"] == SOLUTION and first["puzzle"] == PUZZLE
    assert second["index"] == 2
    assert first["calls"] == 1 and first["backtracks"] == 0   # singles alone solve the example
    assert sorted(t["cell"] for t in first["trace"]) == sorted(
        f"r{i // 9 + 1}c{i % 9 + 1}" for i, ch in enumerate(PUZZLE) if ch == ".")
    assert all(0 <= t["confidence"] <= 1 for t in first["trace"])


def test_solve_trace_in_a_grid_lists_every_filled_cell(model):
    result = solve(model, PUZZLE, "--trace")
    rows = result.stdout.splitlines()
    header = rows.index("  step  cell   digit  confidence")
    assert len([r for r in rows[header + 1:] if r.strip()]) == PUZZLE.count(".")


def test_solve_exits_1_for_a_puzzle_without_solution_and_still_prints_the_rest(model):
    result = solve(model, "-", "--format", "json", input=f"{NO_SOLUTION}\n{PUZZLE}\n")
    assert result.exit_code == 1
    bad, good = map(json.loads, result.stdout.splitlines())
    assert bad["no_solution"] and not bad["solved"] and bad["solution"] is None
    assert bad["backtracks"] > 0
    assert good["solved"]
    grid = solve(model, NO_SOLUTION)
    assert grid.exit_code == 1 and grid.stdout.startswith("puzzle 1: no solution")
    assert "solved 0 of 1" in grid.stderr


def test_solve_exits_1_when_an_untrained_model_fails_in_one_pass(model):
    result = solve(model, PUZZLE, "--strategy", "oneshot", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["solved"] is False


@pytest.mark.parametrize("args, message", [
    (["53..7....6..195"], "the PUZZLES argument, line 1: expected 81 cells"),
    (["5" + PUZZLE[1:].replace("3", "5", 1)], "r1c1 and r1c2 both hold 5"),
    (["no/such/file.txt"], "no/such/file.txt: no such file, and not a puzzle of 81 cells"),
    ([PUZZLE[:-1] + "x"], "the PUZZLES argument, line 1: illegal character 'x' at r9c9"),
    ([PUZZLE[:40] + "?" + PUZZLE[41:]], "illegal character '?' at r5c5"),
    (["-", "--strategy", "guess"], "Invalid value for '--strategy'"),
])
def test_solve_refuses_bad_puzzles_with_one_line(model, args, message):
    result = solve(model, *args, input="")
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert isinstance(result.exception, SystemExit)         # an uncaught error would be here


def test_solve_names_the_file_and_line_of_a_bad_puzzle(model, tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text(f"{PUZZLE}\n{PUZZLE[:-1]}x\n")
    result = solve(model, path)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {path}, line 2: illegal character 'x' at r9c9"


def test_solve_refuses_missing_and_corrupt_model_files(model, tmp_path):
    missing = run("solve", PUZZLE, "--model", tmp_path / "none.npz")
    assert missing.exit_code == 2 and missing.stdout == ""
    assert f"{tmp_path / 'none.npz'}: no such model file" in missing.stderr
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a model at all")
    cut = tmp_path / "cut.npz"
    cut.write_bytes(Path(model).read_bytes()[:2000])
    xor = tmp_path / "xor.npz"
    save(NetworkN([2, 2, 1]), xor)
    for path, reason in ((garbage, "not a model file"), (cut, "not a model file"),
                         (xor, "not a Sudoku model")):
        result = solve(str(path), PUZZLE)
        assert result.exit_code == 2, path
        assert len(result.stderr.splitlines()) == 1 and f"{path}: " in result.stderr
        assert reason in result.stderr


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_solve_refuses_a_damaged_model_file_in_one_line(model, corrupt, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(Path(model).read_bytes())
    corrupt(bad)
    result = run("solve", "--model", bad, DATA / "example.txt")
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(f"Error: {bad}: ")


def test_without_a_shipped_model_the_default_path_is_refused_with_a_hint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sudoku_tf.models.CHECKOUT", tmp_path)       # a checkout without models/
    result = run("solve", PUZZLE)
    assert result.exit_code == 2
    assert result.stderr == ("Error: models/default.npz: no such model file (train one with "
                             "`sudoku-tf train`, or pass --model)\n")


def test_eval_prints_a_table_by_givens(model, tmp_path):
    path = tmp_path / "puzzles.txt"
    path.write_text("\n".join([PUZZLE, (DATA / "example_grid.txt").read_text()]))
    result = run("eval", path, "--model", model, "--strategy", "search")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split()[:3] == ["set", "puzzles", "solved"]
    assert lines[2].split()[:3] == ["all", "2", "100.0%"]
    assert lines[3].split()[:2] == ["28-35", "2"]                     # the example has 30 givens
    assert len(lines) == 4


def test_eval_breaks_results_down_by_difficulty_when_asked(model, tmp_path):
    path = tmp_path / "puzzles.txt"
    # naked singles alone solve the example (easy); the first HARD puzzle needs many guesses
    path.write_text("\n".join([PUZZLE, format_line(HARD[0])]))
    result = run("eval", path, "--model", model, "--strategy", "search", "--by-difficulty")
    assert result.exit_code == 0, result.stderr
    rows = {line.split()[0]: line.split()[1:3] for line in result.stdout.splitlines()[2:]}
    assert rows["all"] == ["2", "100.0%"] and rows["easy"][0] == rows["expert"][0] == "1"
    report = json.loads(run("eval", path, "--model", model, "--strategy", "search",
                            "--by-difficulty", "--json").stdout)
    by = {row["difficulty"]: row for row in report["by_difficulty"]}
    assert sum(row["puzzles"] for row in by.values()) == 2 and by["expert"]["solve_rate"] == 1.0
    assert "puzzles_per_second" not in by["expert"]


def test_eval_json_with_limit_and_strategy(model):
    result = run("eval", DATA / "example.csv", "--model", model, "--json", "--limit", 1,
                 "--strategy", "iterative", "--per-step", 4)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["strategy"] == "iterative" and report["puzzles"] == 1
    assert 0 <= report["cell_accuracy"] <= 1 and report["mean_calls"] <= 13
    assert [row["givens"] for row in report["by_givens"]] == ["28-35"]


def test_eval_and_solve_average_over_symmetries(model):
    reports = {}
    for k in (1, 3):
        result = run("eval", DATA / "example.csv", "--model", model, "--json",
                     "--symmetries", k, "--strategy", "search")
        assert result.exit_code == 0, result.stderr
        reports[k] = json.loads(result.stdout)
    assert reports[3]["symmetries"] == 3 and reports[3]["solve_rate"] == 1
    # an untrained network is not symmetric, so averaging changes its confidences
    confidences = [[t["confidence"] for t in json.loads(solve(
        model, DATA / "example.txt", "--format", "json", "--strategy", "oneshot", "--trace",
        "--symmetries", k).stdout)["trace"]] for k in (1, 3)]
    assert len(confidences[0]) == 51 and confidences[0] != confidences[1]
    result = solve(model, DATA / "example.txt", "--format", "line", "--symmetries", 3)
    assert result.exit_code == 0 and result.stdout == SOLUTION + "\n"


def test_eval_refuses_a_puzzle_without_solution(model):
    result = run("eval", "-", "--model", model, input=NO_SOLUTION + "\n")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: -: puzzle 1 has no solution"


def test_fixture_puzzle_is_the_example():
    assert (parse_board(PUZZLE) == read_boards(DATA / "example.txt")[0][0]).all()
    assert np.array_equal(read_boards(DATA / "example.csv")[1][0], parse_board(SOLUTION))


@pytest.mark.slow
def test_the_shipped_default_model_solves_the_example_alone():
    shipped = DATA.parent / "models" / "default.npz"
    result = run("solve", DATA / "example.txt", "--model", shipped, "--format", "json")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["solution"] == SOLUTION and record["network_solved"] is True
    assert record["network_cells"] == PUZZLE.count(".") and record["backtracks"] == 0
    assert "with auto" in result.stderr and "the network alone solved 1;" in result.stderr


@pytest.fixture(scope="module")
def recurrent_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "recurrent.npz"
    save(build_model(TrainConfig(d_model=16, n_heads=2, d_ff=32, n_blocks=1, n_loops=2,
                                 feedback=True)), path)
    return str(path)


def test_passes_and_halting_reach_the_network_and_are_reported(recurrent_model):
    reports = {}
    for flags in ([], ["--passes", 6], ["--passes", 6, "--confident", 0.01]):
        result = run("eval", DATA / "example.csv", "--model", recurrent_model, "--json",
                     "--strategy", "oneshot", *flags)
        assert result.exit_code == 0, result.stderr
        reports[len(flags)] = json.loads(result.stdout)
    assert reports[0]["passes"] == 2 and reports[0]["mean_passes"] == 2     # the model's own
    assert reports[2]["passes"] == 6 and reports[2]["mean_passes"] == 6
    confidences = [[t["confidence"] for t in json.loads(solve(
        recurrent_model, DATA / "example.txt", "--format", "json", "--strategy", "oneshot",
        "--trace", *flags).stdout)["trace"]] for flags in ([], ["--passes", 6])]
    assert confidences[0] != confidences[1]              # more passes, another answer
    # every cell is that sure after one pass: halting stops each board there
    assert reports[4]["mean_passes"] == 1 and reports[4]["confident"] == 0.01
    result = solve(recurrent_model, DATA / "example.txt", "--passes", 3, "--strategy", "iterative",
                   "--threshold", 0.05)
    assert "3.0 passes per call" in result.stderr
    calls = json.loads(solve(recurrent_model, DATA / "example.txt", "--format", "json",
                             "--strategy", "iterative", "--threshold", 0.05).stdout)["calls"]
    assert calls < 51                                   # a low threshold fills many cells per call


@pytest.mark.parametrize("args, message", [
    (["--passes", 0], "--passes"), (["--threshold", 1.5], "--threshold"),
    (["--halt-after", 0], "--halt-after"), (["--confident", 0], "--confident")])
def test_bad_decoding_settings_exit_2_naming_the_option(model, args, message):
    result = solve(model, DATA / "example.txt", *args)
    assert result.exit_code == 2 and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_the_shipped_model_is_found_from_any_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                                    # no models/ here
    result = run("solve", PUZZLE, "--strategy", "search", "--symmetries", "1", "--format", "line")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == SOLUTION
    missing = run("solve", PUZZLE, "--model", "models/other.npz")  # only the default is looked up
    assert missing.exit_code == 2 and "models/other.npz: no such model file" in missing.stderr


def test_solve_and_eval_run_the_trajectories_asked_for(model):
    """An untrained network gets stuck in every trajectory, so each puzzle uses them all."""
    result = solve(model, DATA / "example.txt", "--format", "json", "--strategy", "iterative",
                   "--trajectories", 3, "--wave", 2)
    assert result.exit_code == 1
    record = json.loads(result.stdout)
    assert record["trajectories"] == 3 and not record["solved"]
    assert "3.0 trajectories per puzzle" in result.stderr
    result = run("eval", DATA / "example.csv", "--model", model, "--json", "--trajectories", 3)
    report = json.loads(result.stdout)
    assert (report["trajectories"], report["mean_trajectories"]) == (3, 3.0)
    assert report["solve_rate"] == 0
