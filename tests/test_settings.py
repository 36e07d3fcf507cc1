"""Decoding settings carried in a model file: stored by `sudoku-tf defaults`, used by
solve, eval and report unless a flag overrides them, refused when out of range."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sudoku_tf.cli import cli
from sudoku_tf.models import load_model, store_settings
from sudoku_tf.nn import ModelFileError, load_checkpoint, save
from sudoku_tf.settings import BUILT_IN, check, for_search, resolve

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def model(tiny_model_file):
    return tiny_model_file


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_the_command_line_wins_then_the_model_then_the_built_in_default():
    used = resolve({"symmetries": 2, "threshold": None}, {"symmetries": 4, "threshold": 0.9})
    assert used == {**BUILT_IN, "symmetries": 2, "threshold": 0.9}
    assert resolve({}, {}) == BUILT_IN


def test_search_takes_its_own_symmetries_and_threshold_where_set_and_flags_still_win():
    carried = {"symmetries": 8, "threshold": 0.99, "search_symmetries": 1,
               "search_threshold": 0.9}

    def search(given, carried=carried):
        used = resolve(for_search(given), for_search(carried))
        return used["symmetries"], used["threshold"]

    assert search({}) == (1, 0.9)
    assert search({"threshold": 0.95}) == (1, 0.95)                  # a flag beats the file
    assert search({"threshold": 0.95, "search_threshold": 0.8}) == (1, 0.8)
    assert search({"symmetries": 4}) == (4, 0.9)
    assert search({}, {"symmetries": 8, "threshold": 0.99}) == (8, 0.99)   # none of its own
    assert resolve({}, carried)["symmetries"] == 8                     # the others keep theirs


@pytest.mark.parametrize("bad, message", [
    ({"symetries": 4}, "unknown decoding setting 'symetries'"),
    ({"symmetries": 0}, "symmetries must be an integer in 1-1000, got 0"),
    ({"passes": 2.5}, "passes must be an integer in 1-1000"),
    ({"passes": 10000}, "passes must be an integer in 1-1000, got 10000"),
    ({"threshold": float("nan")}, r"threshold must lie in \(0, 1\], got nan"),
    ({"halt_after": True}, "halt_after must be an integer in 1-1000"),
    ({"threshold": 1.5}, r"threshold must lie in \(0, 1\], got 1.5"),
    ({"confident": "high"}, "confident must lie in"),
    ({"search_symmetries": 0}, "search_symmetries must be an integer in 1-1000"),
    ({"search_threshold": 0}, r"search_threshold must lie in \(0, 1\]"),
])
def test_settings_out_of_range_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        check(bad)


def test_a_model_file_with_broken_settings_is_refused_in_one_line(model, tmp_path):
    loaded, meta, _ = load_checkpoint(model)
    broken = tmp_path / "broken.npz"
    save(loaded, broken, meta={**meta, "decode": {"symmetries": -1}})
    with pytest.raises(ModelFileError, match=r"broken.npz: decoding setting symmetries"):
        load_model(broken)
    result = run("solve", DATA / "example.txt", "--model", broken)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "decoding setting symmetries" in result.stderr


def test_defaults_command_shows_sets_and_resets(model):
    assert "carries no decoding settings" in run("defaults", model).stdout
    result = run("defaults", model, "--symmetries", 3, "--threshold", 0.8)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"symmetries": 3, "threshold": 0.8}
    assert json.loads(run("defaults", model).stdout) == {"symmetries": 3, "threshold": 0.8}
    assert "carries no decoding settings" in run("defaults", model, "--reset").stdout


def test_defaults_refuses_bad_values_and_missing_files_and_leaves_the_file_alone(model, tmp_path):
    copy = tmp_path / "copy.npz"
    shutil.copy(model, copy)
    result = run("defaults", copy, "--symmetries", 0)
    assert result.exit_code == 2 and copy.read_bytes() == model.read_bytes()
    assert result.stderr.count("\n") == 1 and "'--symmetries'" in result.stderr
    missing = run("defaults", tmp_path / "none.npz", "--symmetries", 2)
    assert missing.exit_code == 2 and "none.npz" in missing.stderr
    assert missing.stderr.count("\n") == 1


def test_eval_and_solve_use_the_models_settings_unless_a_flag_says_otherwise(model):
    store_settings(model, {"symmetries": 2, "passes": 3})
    args = ("eval", DATA / "example.csv", "--model", model, "--json", "--strategy", "oneshot")
    carried = json.loads(run(*args).stdout)
    assert (carried["symmetries"], carried["passes"], carried["mean_passes"]) == (2, 3, 3)
    flagged = json.loads(run(*args, "--symmetries", 1, "--passes", 1).stdout)
    assert (flagged["symmetries"], flagged["passes"]) == (1, 1)
    solved = run("solve", DATA / "example.txt", "--model", model, "--strategy", "oneshot")
    assert "3.0 passes per call, averaged over 2 symmetries)" in solved.stderr


def test_eval_of_search_reports_and_uses_searchs_own_settings(model):
    store_settings(model, {"symmetries": 2, "threshold": 0.99, "search_symmetries": 1,
                  "search_threshold": 0.9})
    args = ("eval", DATA / "example.csv", "--model", model, "--json")
    search = json.loads(run(*args, "--strategy", "search").stdout)
    assert (search["symmetries"], search["threshold"]) == (1, 0.9)
    iterative = json.loads(run(*args, "--strategy", "iterative").stdout)
    assert (iterative["symmetries"], iterative["threshold"]) == (2, 0.99)
    assert json.loads(run("defaults", model).stdout)["search_threshold"] == 0.9


def test_as_trained_ignores_the_models_settings_but_not_the_flags(model):
    store_settings(model, {"symmetries": 2, "passes": 3, "threshold": 0.9})
    args = ("eval", DATA / "example.csv", "--model", model, "--json", "--strategy", "oneshot",
            "--as-trained")
    plain = json.loads(run(*args).stdout)
    assert (plain["symmetries"], plain["passes"], plain["threshold"]) == (1, 2, None)
    flagged = json.loads(run(*args, "--passes", 3).stdout)
    assert (flagged["symmetries"], flagged["passes"], flagged["threshold"]) == (1, 3, None)
    solved = run("solve", DATA / "example.txt", "--model", model, "--strategy", "oneshot",
                 "--as-trained")
    assert "2.0 passes per call" in solved.stderr and "symmetries" not in solved.stderr
