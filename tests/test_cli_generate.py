"""`sudoku-tf generate` end to end: every format, refusal to overwrite, bad arguments."""

import numpy as np
import pytest
from click.testing import CliRunner

from sudoku_tf.board import count_givens, is_valid_solution
from sudoku_tf import generator
from sudoku_tf.cli import cli
from sudoku_tf.data import load_dataset
from sudoku_tf.generator import rate
from sudoku_tf.solver import count_solutions


def run(*args):
    return CliRunner().invoke(cli, ["generate", *map(str, args)])


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".npz"])
def test_generate_writes_unique_puzzles_in_each_format(tmp_path, suffix):
    out = tmp_path / f"puzzles{suffix}"
    result = run("-n", 4, "--givens", "28-32", "--seed", 9, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and "wrote 4 puzzles" in result.stderr
    puzzles, solutions = load_dataset(out)
    givens = count_givens(puzzles)
    assert puzzles.shape == (4, 81) and ((givens >= 28) & (givens <= 32)).all()
    assert all(count_solutions(p) == 1 for p in puzzles)
    if suffix != ".txt":
        assert all(is_valid_solution(p, s) for p, s in zip(puzzles, solutions))


def test_same_seed_same_file_with_more_workers(tmp_path):
    assert run("-n", 3, "--givens", "30", "--seed", 2, "-o", tmp_path / "a.npz").exit_code == 0
    assert run("-n", 3, "--givens", "30", "--seed", 2, "-o", tmp_path / "b.npz",
               "--workers", 2).exit_code == 0
    a, b = np.load(tmp_path / "a.npz"), np.load(tmp_path / "b.npz")
    assert (a["puzzles"] == b["puzzles"]).all() and (a["solutions"] == b["solutions"]).all()


def test_any_count_in_a_low_range_is_accepted(tmp_path, monkeypatch):
    monkeypatch.setattr(generator, "WALK_STEPS", 20)        # walks give up on 17-19 sooner
    out = tmp_path / "low.npz"
    # the puzzles depend on the seed alone; the budget is only a guard, wide enough for a
    # machine busy with other work
    result = run("-n", 3, "--givens", "17-21", "--seed", 1, "--time-budget", 600, "-o", out)
    assert result.exit_code == 0, result.stderr
    givens = count_givens(load_dataset(out)[0])
    assert ((givens >= 17) & (givens <= 21)).all()


def test_difficulty_option_filters(tmp_path):
    out = tmp_path / "easy.txt"
    assert run("-n", 3, "--givens", "36-44", "--difficulty", "easy", "-o", out).exit_code == 0
    assert [rate(p) for p in load_dataset(out)[0]] == ["easy"] * 3


def test_existing_file_is_refused_without_force(tmp_path):
    out = tmp_path / "p.txt"
    out.write_text("keep me\n")
    result = run("-n", 1, "--givens", 40, "-o", out)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {out} exists; pass --force to replace it"
    assert out.read_text() == "keep me\n"
    assert run("-n", 1, "--givens", 40, "-o", out, "--force").exit_code == 0
    assert load_dataset(out)[0].shape == (1, 81)


@pytest.mark.parametrize("args, message", [
    (("--givens", "50-10"), "--givens 50-10: givens must satisfy 17 <= lo <= hi <= 81, got 50-10"),
    (("--givens", "16"), "--givens 16: givens must satisfy"),
    (("--givens", "lots"), "--givens wants a number or a range such as 24-36"),
    (("--difficulty", "fiendish"), "Invalid value for '--difficulty'"),
    (("-n", 0), "Invalid value for '-n'"),
    (("-o", "x.json"), "unknown extension '.json'"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, args, message):
    options = {"-n": 2, "-o": tmp_path / "out.txt"}
    flat = [str(a) for pair in options.items() if pair[0] not in args for a in pair]
    result = run(*flat, *args)
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert isinstance(result.exception, SystemExit)         # an uncaught error would be here
    assert not (tmp_path / "out.txt").exists()


def test_running_out_of_time_exits_1_and_says_why(tmp_path):
    result = run("-n", 1, "--givens", 17, "--time-budget", 0.2, "-o", tmp_path / "p.txt")
    assert result.exit_code == 1
    assert "no unique puzzle with 17 givens within the time budget" in result.stderr
    assert not (tmp_path / "p.txt").exists()
