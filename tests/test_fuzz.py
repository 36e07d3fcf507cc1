"""Generated inputs against the command line and the parsers: puzzle text, option values,
model files, existing outputs and interrupts. Whatever comes in, a command exits 0, 1, 2
or 130; an error is one line on stderr and never an uncaught exception; an output file
is whole or absent, and an existing one is replaced only with --force.

A quick share runs with every `python -m pytest`; the `slow` run tries 10,000 inputs.
"""

import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corrupt import CORRUPTIONS
from sudoku_tf.board import PuzzleError, parse_boards
from sudoku_tf.cli import cli
from sudoku_tf.nn import save
from sudoku_tf.train import TrainConfig, build_model

DATA = Path(__file__).resolve().parent.parent / "data"
PUZZLE, SOLUTION = (DATA / "example.csv").read_text().splitlines()[1].split(",")
EXIT_CODES = {0, 1, 2, 130}
# examples per property: a quick share for every run, and the slow run's (10,000 in all)
QUICK, SLOW = 60, 2000


def both_runs(prop, **strategies):
    """The property as two tests: a quick share, and the full count under the `slow`
    marker; each tries the same inputs every run, so a red CI is a bug to reproduce."""
    def test(examples: int):
        return settings(max_examples=examples, deadline=None, database=None,
                        derandomize=True,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                               HealthCheck.function_scoped_fixture]
                        )(given(**strategies)(prop))
    return test(QUICK), pytest.mark.slow(test(SLOW))


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny.npz"
    save(build_model(TrainConfig(d_model=8, n_heads=1, d_ff=8, n_blocks=1, passes=1)), path)
    return path


def run(args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def check_outcome(result, error_lines: int = 1):
    """Exit 0/1/2/130; an error (2 or 130) ends stderr with its one line, at most
    `error_lines` lines in all; and nothing escaped as an uncaught exception."""
    assert result.exit_code in EXIT_CODES, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    if result.exit_code in (2, 130):
        lines = result.stderr.splitlines()
        assert 1 <= len(lines) <= error_lines, result.stderr
        assert lines[-1].startswith(("Error: ", "interrupted")), result.stderr


# ---------------------------------------------------------------- puzzle text

CELLS = st.sampled_from(list("0123456789.")) | st.sampled_from(list(" \t|-+,x*#\r\n"))
PUZZLE_TEXT = (
    st.text(CELLS, max_size=200)
    | st.lists(st.sampled_from(list("0123456789.")), min_size=81, max_size=81).map("".join)
    | st.builds(lambda i, c: PUZZLE[:i] + c + PUZZLE[i + 1:], st.integers(0, 80), CELLS)
    | st.text(max_size=120)
)


def _parse_property(text):
    try:
        boards, _ = parse_boards(text, source="fuzz")
    except PuzzleError as err:
        assert "\n" not in str(err)
    else:
        assert boards.shape[1:] == (81,) and boards.min() >= 0 and boards.max() <= 9


test_parse_boards_raises_only_puzzle_errors, test_parse_boards_raises_only_puzzle_errors_slow = \
    both_runs(_parse_property, text=PUZZLE_TEXT)


def _solve_text_property(model, text, where, fmt):
    with tempfile.TemporaryDirectory() as folder:
        args, stdin = ["solve", "--model", model, "--strategy", "oneshot", "--format", fmt], None
        if where == "stdin":
            args, stdin = [*args, "-"], text
        elif where == "argument":
            args = [*args, "--", text]
        else:
            path = Path(folder) / f"puzzles{where}"
            path.write_text(text)
            args = [*args, path]
        check_outcome(run(args, input=stdin))


test_solve_takes_any_puzzle_text, test_solve_takes_any_puzzle_text_slow = both_runs(
    _solve_text_property, text=PUZZLE_TEXT,
    where=st.sampled_from(["stdin", "argument", ".txt", ".csv"]),
    fmt=st.sampled_from(["grid", "line", "json"]))


# ---------------------------------------------------------------- option values

VALUES = (st.sampled_from(["nan", "inf", "-inf", "-1", "0", "1", "2", "0.5", "1e309", "1e-320",
                           "", " ", "x", "1-2", "3-1", "17-81", "99999999999999999999",
                           "r5c5", "r0c9", "pre", "rcb", "auto", "1.5.2", "--force"])
          | st.integers(-3, 3).map(str) | st.floats(allow_nan=True).map(str)
          | st.text(max_size=12))
SOLVE_OPTIONS = ["--symmetries", "--passes", "--halt-after", "--confident", "--threshold",
                 "--search-symmetries", "--search-threshold", "--per-step", "--max-calls",
                 "--batch-size", "--strategy", "--format"]
EVAL_OPTIONS = [o for o in SOLVE_OPTIONS if o != "--format"] + ["--limit"]
TRAIN_OPTIONS = ["--steps", "--batch-size", "--d-model", "--heads", "--d-ff", "--blocks",
                 "--passes", "--grad-passes", "--free-passes", "--late-share", "--late-passes",
                 "--carry", "--norm", "--positions", "--lr", "--warmup", "--weight-decay",
                 "--clip", "--givens", "--curriculum", "--difficulty-power", "--path-share",
                 "--eval-every", "--eval-size", "--eval-passes", "--eval-threshold",
                 "--patience", "--max-minutes", "--max-cpu-minutes", "--checkpoint-minutes",
                 "--seed"]
# a run that stops after one step on one puzzle, whatever one option says
TINY_TRAIN = ["--data", DATA / "example.csv", "--eval-data", DATA / "example.csv", "--steps",
              "1", "--eval-size", "1", "--batch-size", "2", "--d-model", "8", "--heads", "1",
              "--d-ff", "8", "--blocks", "1", "--passes", "1", "-q"]
TRAIN_SIZES = {"--steps", "--batch-size", "--d-model", "--heads", "--d-ff", "--blocks",
               "--passes", "--grad-passes", "--carry", "--eval-size", "--eval-passes",
               "--free-passes", "--late-passes"}


def _option_property(model, command, option, value):
    with tempfile.TemporaryDirectory() as folder:
        if command == "solve":
            args = ["solve", PUZZLE, "--model", model, "--strategy", "oneshot", option, value]
        elif command == "eval":
            args = ["eval", DATA / "example.csv", "--model", model, "--strategy", "oneshot",
                    option, value]
        elif command == "generate":
            args = ["generate", "-n", "1", "--givens", "40", "-o", Path(folder) / "p.txt",
                    option, value]
        elif command == "report":
            args = ["report", "--model", model, "--puzzles", DATA / "example.csv",
                    "-o", Path(folder) / "r.html", option, value]
        else:
            if option in TRAIN_SIZES and value.strip().lstrip("+").isdigit() and int(value) > 3:
                value = "3"                                      # a size, not a long run
            args = ["train", *TINY_TRAIN, "--out", Path(folder) / "m.npz", option, value]
        check_outcome(run(args), error_lines=2 if command == "report" else 1)


COMMAND_OPTIONS = st.one_of(
    st.tuples(st.just("solve"), st.sampled_from(SOLVE_OPTIONS)),
    st.tuples(st.just("eval"), st.sampled_from(EVAL_OPTIONS)),
    st.tuples(st.just("generate"), st.sampled_from(["--givens", "--difficulty", "--seed",
                                                    "--workers", "--time-budget"])),
    st.tuples(st.just("report"), st.sampled_from(["--cell", "--limit", "--passes"])),
    st.tuples(st.just("train"), st.sampled_from(TRAIN_OPTIONS)),
)


def _option_entry(model, pair, value):
    command, option = pair
    if command == "generate" and option == "--workers":
        value = value if not value.strip().isdigit() else "1"   # no process pools here
    _option_property(model, command, option, value)


test_any_option_value_is_handled, test_any_option_value_is_handled_slow = both_runs(
    _option_entry, pair=COMMAND_OPTIONS, value=VALUES)


# ---------------------------------------------------------------- model files

def _damaged(model: Path, data) -> bytes:
    """The tiny model's bytes after one generated kind of damage."""
    raw = bytearray(model.read_bytes())
    kind = data.draw(st.sampled_from(["flip", "cut", "random", "named", *CORRUPTIONS]))
    if kind == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
    elif kind == "cut":
        raw = raw[:data.draw(st.integers(0, len(raw)))]
    elif kind == "random":
        raw = bytearray(data.draw(st.binary(max_size=400)))
    elif kind == "named":                                  # a valid zip of other things
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "x.npz"
            with zipfile.ZipFile(path, "w") as z:
                z.writestr(data.draw(st.sampled_from(["__config__.npy", "a.npy", "x"])),
                           data.draw(st.binary(max_size=200)))
            raw = bytearray(path.read_bytes())
    else:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "m.npz"
            path.write_bytes(bytes(raw))
            CORRUPTIONS[kind](path)
            raw = bytearray(path.read_bytes())
    return bytes(raw)


def _model_file_property(model, data):
    command = data.draw(st.sampled_from(["solve", "eval", "defaults", "defaults-set", "report",
                                         "init-from"]))
    with tempfile.TemporaryDirectory() as folder:
        bad = Path(folder) / "bad.npz"
        bad.write_bytes(_damaged(model, data))
        args = {"solve": ["solve", PUZZLE, "--model", bad, "--strategy", "oneshot"],
                "eval": ["eval", DATA / "example.csv", "--model", bad, "--strategy", "oneshot"],
                "defaults": ["defaults", bad],
                "defaults-set": ["defaults", bad, "--passes", "2"],
                "report": ["report", "--model", bad, "--puzzles", DATA / "example.csv", "-o",
                           Path(folder) / "r.html"],
                "init-from": ["train", *TINY_TRAIN, "--init-from", bad, "--out",
                              Path(folder) / "m.npz"]}[command]
        before = bad.read_bytes()
        result = run(args)
        check_outcome(result, error_lines=2 if command == "report" else 1)
        if result.exit_code != 0:
            assert bad.read_bytes() == before                     # refused: left alone


test_any_model_file_is_handled, test_any_model_file_is_handled_slow = both_runs(
    _model_file_property, data=st.data())


# ---------------------------------------------------------------- outputs and interrupts

# functions a Ctrl-C may land in, on the way from the options to the file
INTERRUPTIBLE = ["sudoku_tf.generator.generate_one", "sudoku_tf.data.save_dataset",
                 "numpy.savez_compressed", "os.replace", "sudoku_tf.board.parse_boards",
                 "sudoku_tf.api.Solver.decode", "sudoku_tf.report.build_report",
                 "sudoku_tf.models.load_checkpoint", "sudoku_tf.nn.io.np.savez"]


def _output_property(model, data, monkeypatch):
    command = data.draw(st.sampled_from(["generate", "report", "defaults", "train"]))
    force = data.draw(st.booleans())
    where = "existing" if command == "defaults" else data.draw(
        st.sampled_from(["new", "existing", "missing folder", "file as folder"]))
    stop = data.draw(st.none() | st.sampled_from(INTERRUPTIBLE))
    with tempfile.TemporaryDirectory() as folder, monkeypatch.context() as patch:
        folder = Path(folder)
        name = {"generate": "p" + data.draw(st.sampled_from([".txt", ".csv", ".npz", ".json"])),
                "report": "r.html", "defaults": "m.npz", "train": "m.npz"}[command]
        out = {"new": folder / name, "existing": folder / name,
               "missing folder": folder / "no" / name, "file as folder": folder / "f" / name}[where]
        (folder / "f").write_text("a file\n")
        if where == "existing" or command == "defaults":
            out.parent.mkdir(exist_ok=True)
            out.write_bytes(model.read_bytes() if command == "defaults" else b"keep me\n")
        before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        args = {"generate": ["generate", "-n", "2", "--givens", "40", "-o", out],
                "report": ["report", "--model", model, "--puzzles", DATA / "example.csv",
                           "-o", out],
                "defaults": ["defaults", out, "--passes", "2"],
                "train": ["train", *TINY_TRAIN, "--out", out]}[command]
        if force and command != "defaults":
            args.append("--force")
        if stop is not None:
            calls = iter(range(data.draw(st.integers(0, 2)), -1, -1))

            def ctrl_c(*a, _real=_resolve(stop), **kw):
                if next(calls, 0) == 0:
                    raise KeyboardInterrupt
                return _real(*a, **kw)

            patch.setattr(stop, ctrl_c)
        result = run(args)
        check_outcome(result, error_lines=2 if command in ("report", "train") else 1)
        after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        assert not [p for p in after if p.name.endswith((".tmp", ".probe"))], after.keys()
        for path, content in before.items():
            replaced = after.get(path) != content
            assert not replaced or (result.exit_code in (0, 1, 130) and (force or command == "defaults")), path
        if result.exit_code == 2:
            assert after == before                                  # refused: nothing written


def _resolve(dotted: str):
    """The object a dotted name (as monkeypatch.setattr takes it) names."""
    module, _, attr = dotted.rpartition(".")
    parts = module.split(".")
    obj = __import__(parts[0])
    for part in [*parts[1:], attr]:
        obj = getattr(obj, part) if hasattr(obj, part) else __import__(
            f"{obj.__name__}.{part}", fromlist=[part])
    return obj


test_outputs_are_whole_or_absent_and_kept_without_force, \
    test_outputs_are_whole_or_absent_and_kept_without_force_slow = both_runs(
        _output_property, data=st.data())
