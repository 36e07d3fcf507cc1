"""Ctrl-C, for every command: exit status 130, one line on stderr, no traceback, no
half-written file, and never a hang; `train` saves a checkpoint first."""

import sys

import pytest
from click.testing import CliRunner

from interrupting import child_at_work, interrupt
from sudoku_tf.cli import cli
from sudoku_tf.nn import load_with_meta

TINY = ["--d-model", "16", "--heads", "2", "--d-ff", "32", "--blocks", "1", "--loops", "1",
        "--batch-size", "8", "--eval-size", "8", "--eval-every", "50", "--steps", "100000"]
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def _one_line_and_checkpoint(code, stderr, out):
    """The interrupted training's promises: 130, one line naming the checkpoint, which loads."""
    ckpt = out.with_name("p.ckpt.npz")
    assert code == 130, stderr
    assert stderr.startswith("interrupted at step ") and stderr.count("\n") == 1, stderr
    assert stderr.endswith(f"continue with: sudoku-tf train --resume {ckpt}\n")
    assert load_with_meta(ckpt)[1]["train"]["state"]["step"] >= 0


@linux_only
def test_ctrl_c_while_the_puzzle_pool_works_saves_a_checkpoint_and_exits_130(tmp_path):
    """The pool's worker is busy making the first puzzles when Ctrl-C reaches the whole
    process group: no worker traceback, and the parent never waits on a dead worker."""
    out = tmp_path / "p.npz"
    code, _, stderr = interrupt(["train", "-q", *TINY, "--out", out], child_at_work)
    _one_line_and_checkpoint(code, stderr, out)


def test_ctrl_c_while_training_on_a_file_saves_a_checkpoint_and_exits_130(tmp_path):
    out = tmp_path / "p.npz"
    log = tmp_path / "p.log.jsonl"                   # written once the loop takes Ctrl-C
    code, _, stderr = interrupt(["train", "-q", *TINY, "--data", "data/eval1000.csv",
                                 "--eval-data", "data/eval1000.csv", "--out", out],
                                lambda pid: log.exists())
    _one_line_and_checkpoint(code, stderr, out)


@linux_only
def test_ctrl_c_in_generate_with_workers_exits_130_with_one_line_and_no_file(tmp_path):
    out = tmp_path / "p.txt"
    code, stdout, stderr = interrupt(["generate", "-n", "100000", "--givens", "22",
                                      "--workers", "2", "-o", out], child_at_work)
    assert (code, stdout, stderr) == (130, "", "interrupted\n")
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_in_eval_exits_130_with_one_line():
    code, stdout, stderr = interrupt(["eval", "data/eval1000.csv", "--symmetries", "8"])
    assert (code, stdout, stderr) == (130, "", "interrupted\n")


def _ctrl_c(*args, **kw):
    raise KeyboardInterrupt


@pytest.mark.parametrize("command, target", [
    (["solve", "data/example.txt"], "sudoku_tf.api.Solver.decode"),
    (["eval", "data/example.csv"], "sudoku_tf.api.Solver.evaluate"),
    (["generate", "-n", "2", "-o", "{tmp}/p.txt"], "sudoku_tf.generator.generate_one"),
    (["report", "--puzzles", "data/example.csv", "-o", "{tmp}/r.html"],
     "sudoku_tf.report.build_report"),
    (["defaults", "models/default.npz"], "sudoku_tf.models.load_checkpoint"),
])
def test_ctrl_c_in_any_command_is_one_line_and_exit_130(tmp_path, monkeypatch, command, target):
    monkeypatch.setattr(target, _ctrl_c)
    result = CliRunner().invoke(cli, [a.format(tmp=tmp_path) for a in command])
    assert result.exit_code == 130, result.output
    assert result.stderr.endswith("\ninterrupted\n") or result.stderr == "interrupted\n"
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert list(tmp_path.iterdir()) == []
