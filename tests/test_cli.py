"""What every `sudoku-tf` command shares: help with examples, the version, help whose
defaults are the ones the code uses, and usage errors in one line."""

import re
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from corrupt import nan_weights

from sudoku_tf import __version__
from sudoku_tf.cli import cli
from sudoku_tf.train import TrainConfig


def run(*args):
    return CliRunner().invoke(cli, list(args), terminal_width=200, prog_name="sudoku-tf")


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_examples(command):
    for flag in ("--help", "-h"):
        result = run(command, flag)
        assert result.exit_code == 0, result.output
        assert "Examples:" in result.stdout and f"sudoku-tf {command} " in result.stdout


def test_the_group_shows_its_version_and_lists_every_command():
    version = run("--version")
    assert version.exit_code == 0 and version.stdout == f"sudoku-tf, version {__version__}\n"
    listing = run("--help").stdout
    assert all(name in listing for name in cli.commands)


@pytest.mark.parametrize("args, line", [
    (["solve"], "Error: Missing argument 'PUZZLES' (see 'sudoku-tf solve --help')"),
    (["solve", "--passes", "0", "-"],
     "Error: Invalid value for '--passes': 0 is not in the range 1<=x<=1000 "
     "(see 'sudoku-tf solve --help')"),
    (["eval", "x.csv", "--bogus"], "Error: No such option '--bogus' (see 'sudoku-tf eval --help')"),
    (["unknown"], "Error: No such command 'unknown' (see 'sudoku-tf --help')"),
])
def test_usage_errors_are_one_line_naming_the_help_to_read(args, line):
    result = run(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == line + "\n"


TINY_RUN = ["--data", "data/example.csv", "--steps", "1", "--eval-size", "1", "--d-model", "8",
            "--heads", "1", "--d-ff", "8", "--blocks", "1", "--out", "{tmp}/m.npz"]


@pytest.mark.parametrize("args", [
    ["solve", "data/example.txt", "--threshold", "nan"],
    ["solve", "data/example.txt", "--search-threshold", "nan"],
    ["eval", "data/example.csv", "--confident", "nan"],
    ["eval", "data/example.csv", "--threshold", "inf"],
    ["defaults", "{model}", "--threshold", "nan"],
    ["solve", "data/example.txt", "--passes", "10000"],
    ["solve", "data/example.txt", "--symmetries", "100000"],
    ["generate", "-n", "1", "--seed", "-1", "-o", "{tmp}/p.txt"],
    ["train", "--seed", "-1", *TINY_RUN],
    ["train", "--curriculum", "-5", *TINY_RUN],
    ["train", "--lr", "nan", *TINY_RUN],
    ["train", "--max-minutes", "inf", *TINY_RUN],
])
def test_values_that_mean_nothing_are_one_line_naming_the_option(tmp_path, args):
    model = tmp_path / "m.npz"
    model.write_bytes(Path("models/default.npz").read_bytes())
    before = model.read_bytes()
    result = run(*[a.format(tmp=tmp_path, model=model) for a in args])
    option = next(a for a in args if a.startswith("--"))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: Invalid value for '{option}': ")
    assert result.stderr.count("\n") == 1
    assert sorted(tmp_path.iterdir()) == [model] and model.read_bytes() == before


def test_an_output_that_cannot_be_written_is_one_line(tmp_path):
    (tmp_path / "notes").write_text("a file, not a folder\n")
    target = tmp_path / "notes" / "puzzles.txt"
    result = run("generate", "-n", "1", "--givens", "40", "-o", str(target))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {target}: cannot write there ({tmp_path / 'notes'} is not a folder)\n"


def test_a_command_without_arguments_still_shows_its_help():
    result = run()
    assert result.exit_code == 2 and "Commands:" in result.output


def test_train_help_shows_the_defaults_of_train_config():
    text = run("train", "--help").stdout
    params = {p.name: p for p in cli.commands["train"].params}
    shown = 0
    for field in fields(TrainConfig):
        value = getattr(TrainConfig(), field.name)
        if field.name not in params or value in (None, []):
            continue
        flag = params[field.name].opts[-1]
        if isinstance(value, bool):                    # an on/off pair shows the chosen side
            expected = (params[field.name].opts if value else params[field.name].secondary_opts)[-1][2:]
        else:
            expected = "-".join(map(str, value)) if isinstance(value, tuple) else str(value)
        line = re.search(rf"^\s+{re.escape(flag)} .*?(?=^\s+-)", text, re.M | re.S)[0]
        assert f"[default: {expected}" in " ".join(line.split()), flag
        shown += 1
    assert shown >= 20                 # every field with a default and a flag


@pytest.mark.parametrize("args", [
    ["solve", "data/example.txt", "--model", "{model}"],
    ["eval", "data/example.csv", "--model", "{model}"],
    ["defaults", "{model}"],
    ["defaults", "{model}", "--passes", "2"],
    ["report", "--model", "{model}", "--puzzles", "data/example.csv", "-o", "{tmp}/r.html"],
    ["train", "--init-from", "{model}", "--data", "data/example.csv", "--steps", "1",
     "--eval-size", "1", "--out", "{tmp}/m.npz"],
])
def test_a_model_whose_weights_are_not_finite_is_refused_by_every_command(tiny_model_file, args):
    nan_weights(tiny_model_file)
    before = tiny_model_file.read_bytes()
    result = run(*[a.format(model=tiny_model_file, tmp=tiny_model_file.parent) for a in args])
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"Error: {tiny_model_file}: array 'token.E' holds values that are "
                             f"not finite (nan or infinity): a broken model\n")
    assert sorted(tiny_model_file.parent.iterdir()) == [tiny_model_file]
    assert tiny_model_file.read_bytes() == before


@pytest.mark.parametrize("args", [
    ["solve", "{bad}"],
    ["eval", "{bad}"],
    ["train", "--data", "{bad}", "--out", "{tmp}/m.npz"],
    ["train", "--data", "data/example.csv", "--eval-data", "{bad}", "--out", "{tmp}/m.npz"],
])
def test_random_bytes_named_npz_are_not_an_npz_archive(tmp_path, args):
    bad = tmp_path / "garbage.npz"
    bad.write_bytes(np.random.default_rng(0).bytes(300))
    result = run(*[a.format(bad=bad, tmp=tmp_path) for a in args])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"Error: {bad}: not an .npz archive\n"


def test_an_output_in_a_folder_that_does_not_exist_is_refused_not_created(tmp_path):
    target = tmp_path / "no" / "dir" / "x.txt"
    result = run("generate", "-n", "1", "--givens", "40", "-o", str(target))
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {target}: cannot write there (the folder "
                             f"{target.parent} does not exist)\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("out, reason", [
    ("{tmp}/a.txt/t.npz", "cannot write there ({tmp}/a.txt is not a folder)"),
    pytest.param("/proc/t.npz", "cannot write there (/proc: No such file or directory)",
                 marks=pytest.mark.skipif(not Path("/proc/self").exists(), reason="no /proc")),
])
def test_train_names_the_out_it_was_given_when_it_cannot_write_there(tmp_path, out, reason):
    (tmp_path / "a.txt").write_text("a file\n")
    out = out.format(tmp=tmp_path)
    result = run("train", "--data", "data/example.csv", "--steps", "1", "--eval-size", "1",
                 "--out", out)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"Error: {out}: {reason.format(tmp=tmp_path)}\n"


def test_report_checks_both_outputs_before_writing_either(tmp_path):
    html, json_path = tmp_path / "r.html", tmp_path / "missing" / "r.json"
    result = run("report", "--puzzles", "data/example.csv", "-o", str(html), "--json",
                 str(json_path))
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {json_path}: cannot write there (the folder "
                             f"{json_path.parent} does not exist)\n")
    assert list(tmp_path.iterdir()) == []


def test_defaults_names_the_model_file_when_it_cannot_be_replaced(tiny_model_file, monkeypatch):
    def refused(source, target):
        raise PermissionError(13, "Permission denied", str(source))

    monkeypatch.setattr("os.replace", refused)
    result = run("defaults", str(tiny_model_file), "--passes", "2")
    assert result.exit_code == 2
    assert result.stderr == f"Error: {tiny_model_file}: cannot replace it (Permission denied)\n"
    assert sorted(tiny_model_file.parent.iterdir()) == [tiny_model_file]


@pytest.mark.parametrize("args, line", [
    (["defaults", "{tmp}/none.npz"],
     "{tmp}/none.npz: no such model file (train one with `sudoku-tf train`)"),
    (["train", "--resume", "{tmp}/m.ckpt.npz"],
     "{tmp}/m.ckpt.npz: no such checkpoint (a run writes NAME.ckpt.npz beside its --out NAME.npz)"),
    (["solve", "data/example.txt", "--format", "line", "--trace"],
     "--trace lists the filled cells in a table, which --format line has no room for; use "
     "--format grid or json"),
])
def test_messages_name_what_was_typed_and_what_to_do(tmp_path, args, line):
    result = run(*[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"Error: {line.format(tmp=tmp_path)}\n"


def test_an_argument_with_line_breaks_is_shown_escaped_on_one_line():
    result = run("solve", "a\rb\nc\u2028")
    assert result.exit_code == 2
    assert result.stderr == "Error: a\\rb\\nc\\u2028: no such file, and not a puzzle of 81 cells\n"


def test_running_out_of_memory_is_one_line_suggesting_smaller_sizes(tmp_path, monkeypatch):
    def too_big(cfg):
        raise MemoryError("Unable to allocate 37.3 GiB for an array")

    monkeypatch.setattr("sudoku_tf.train.build_model", too_big)
    result = run("train", "--d-model", "100000", "--heads", "1", "--data", "data/example.csv",
                 "--out", str(tmp_path / "m.npz"))
    assert result.exit_code == 2
    assert result.stderr == ("Error: not enough memory (Unable to allocate 37.3 GiB for an "
                             "array); try smaller sizes\n")
