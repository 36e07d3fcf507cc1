"""`sudoku-tf solve`, `eval` and `defaults`: decoding with a model as its stored settings
and the flags say (through `api.Solver`), and the settings a model file carries."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from tqdm import tqdm

from ..api import Solver
from ..decode import AUTO, BATCH_SIZE, MAX_CALLS, STRATEGIES
from ..formatting import format_eval, format_solved, records, solve_summary
from ..models import SHIPPED, shipped, store_settings
from ..nn import ModelFileError
from ..outputs import check_writable
from ..settings import MOST
from .common import FiniteRange, InputError, add_options, load_model_file, read_puzzles

_STRATEGY_HELP = ("oneshot: one network pass; iterative: fill the surest legal cells and "
                  "re-run; search: guided search, exact")


# the decoding settings a model file may carry (see `settings`): option, type, help
_SETTINGS = [
    ("--symmetries", click.IntRange(1, MOST),
     "Average the network over K Sudoku symmetries of each board (K forward passes per call).",
     "the model's setting, else 1"),
    ("--passes", click.IntRange(1, MOST),
     "Passes of the weight-tied blocks per network call (most passes, with halting).",
     "the model's setting, else the passes it was built with"),
    ("--halt-after", click.IntRange(1, MOST),
     "Stop refining a board once its predicted digits have not changed for K passes.",
     "the model's setting, if any"),
    ("--confident", FiniteRange(0, 1, min_open=True),
     "Stop refining a board once every empty cell's top probability reaches P.",
     "the model's setting, if any"),
    ("--threshold", FiniteRange(0, 1, min_open=True),
     "Also fill, in the same call, every legal cell the network gives at least P "
     "(search tries them together first, then one cell at a time).",
     "the model's setting, if any"),
    ("--trajectories", click.IntRange(1, MOST),
     "Iterative decoding tries up to K independent trajectories of each puzzle (each on "
     "its own symmetry of the board) and keeps the first whose grid the rules accept.",
     "the model's setting, else 1"),
    ("--wave", click.IntRange(1, MOST),
     "Trajectories run at once, batched (the next wave starts only for puzzles still unsolved).",
     "the model's setting, else all of them"),
    ("--search-symmetries", click.IntRange(1, MOST),
     "Symmetries for search (and auto's search) alone.",
     "--symmetries if given, else the model's search setting, else its symmetries"),
    ("--search-threshold", FiniteRange(0, 1, min_open=True),
     "Threshold for search (and auto's search) alone.",
     "--threshold if given, else the model's search setting, else its threshold"),
]


def _setting_options(defaults_shown: bool) -> list:
    """click options for the decoding settings; with `defaults_shown`, each help names
    where its default comes from."""
    return [click.option(flag, type=kind, help=f"{text}  [default: {default}]" if defaults_shown
                         else text) for flag, kind, text, default in _SETTINGS]


def _decode_options(strategies: tuple, default: str, strategy_help: str):
    """The options `solve` and `eval` share: the model and how to decode with it."""
    options = [
        click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path),
                     default=SHIPPED, show_default=True, help="Trained model file."),
        click.option("--strategy", type=click.Choice(strategies), default=default,
                     show_default=True, help=strategy_help),
        click.option("--per-step", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Cells iterative decoding fills per network pass."),
        click.option("--max-calls", type=click.IntRange(min=1), default=MAX_CALLS,
                     show_default=True,
                     help="Network calls per puzzle after which search finishes with the "
                          "exact solver."),
        click.option("--batch-size", type=click.IntRange(min=1), default=BATCH_SIZE,
                     show_default=True, help="Boards per network call."),
        *_setting_options(defaults_shown=True),
        click.option("--as-trained", is_flag=True,
                     help="Ignore the decoding settings the model file carries (flags still "
                          "apply): the network as it was trained."),
    ]
    return add_options(options)


def _solver(path: Path, strategy: str, per_step: int, max_calls: int, batch_size: int,
            as_trained: bool, given: dict):
    """The model at path ready to decode with `strategy`, each decoding setting from the
    command line (`given`), else from the model file unless `as_trained`."""
    return Solver(load_model_file(shipped(path)), strategy=strategy, per_step=per_step,
                  max_calls=max_calls, batch_size=batch_size, as_trained=as_trained, **given)


@click.command()
@click.argument("puzzles")
@_decode_options((AUTO, *STRATEGIES), AUTO,
                 f"auto: iterative, and guided search where it gets stuck; {_STRATEGY_HELP}.")
@click.option("--format", "fmt", type=click.Choice(["grid", "line", "json"]), default="grid",
              show_default=True,
              help="grid: a board per puzzle, filled digits marked; line: 81 characters, "
                   "then 'not solved', 'no solution' or 'not unique' where so; "
                   "json: one JSON object per line.")
@click.option("--trace", is_flag=True,
              help="Also list the cells in the order they were filled, with the network's "
                   "confidence for each.")
@click.pass_context
def solve(ctx, puzzles, model_path, strategy, per_step, max_calls, batch_size, as_trained, fmt,
          trace, **given) -> None:
    """Solve puzzles with a trained model.

    PUZZLES is a puzzle file (81-character lines, 9x9 grids, CSV or .npz), - for standard
    input, or one puzzle written as 81 characters. The default, auto, and search always
    end with the solution or a proof that there is none; oneshot and iterative (the
    network alone) may leave a puzzle unsolved. In a grid, a * follows each digit the
    network filled in and a + each digit the search filled in (colours on a terminal).
    Exit status 0 when every puzzle is solved, 1 when some are not.

    \b
    Examples:
      sudoku-tf solve data/example.txt --trace
      sudoku-tf solve 53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79 --format line
      cat puzzles.txt | sudoku-tf solve - --strategy iterative --per-step 3 --format json
    """
    if trace and fmt == "line":
        raise InputError("--trace lists the filled cells in a table, which --format line has "
                         "no room for; use --format grid or json")
    boards, _ = read_puzzles(puzzles)
    solver = _solver(model_path, strategy, per_step, max_calls, batch_size, as_trained, given)
    start = time.perf_counter()
    with tqdm(total=len(boards), unit="puzzle", desc=strategy, disable=None) as bar:
        result = solver.decode(boards, bar.update)
    seconds = time.perf_counter() - start
    color = fmt == "grid" and sys.stdout.isatty()
    for k, record in enumerate(records(boards, result, trace)):
        searched = None if result.network_placed is None else ~result.network_placed[k]
        click.echo(format_solved(record, boards[k], result.boards[k], fmt, color, searched))
    click.echo(solve_summary(result, strategy, seconds, solver.settings["symmetries"],
                             solver.refining.mean_passes, solver.settings["trajectories"]),
               err=True)
    if not result.solved.all():
        if result.no_solution is None:
            click.echo("--strategy auto or search always finds the solution when there is one",
                       err=True)
        ctx.exit(1)


@click.command(name="eval")
@click.argument("file")
@_decode_options(STRATEGIES, "iterative", _STRATEGY_HELP + ".")
@click.option("--limit", type=click.IntRange(min=1), help="Use only the first N puzzles.")
@click.option("--by-difficulty", is_flag=True,
              help="Also break the results down by difficulty label (see generate).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document, not a table.")
def eval_command(file, model_path, strategy, per_step, max_calls, batch_size, as_trained, limit,
                 by_difficulty, as_json, **given) -> None:
    """Measure how well a model solves the puzzles of FILE.

    Reports the full-solve rate, network calls and puzzles per second under --strategy,
    and the one-pass accuracy on empty cells against the file's solutions (or, when it
    has none, the exact solver's). Each row of givens is decoded as its own batch.

    \b
    Examples:
      sudoku-tf eval data/eval1000.csv
      sudoku-tf eval data/eval1000.csv --strategy iterative --per-step 2 --limit 200
      sudoku-tf eval puzzles.txt --model models/small.npz --json
    """
    puzzles, solutions = read_puzzles(file)
    puzzles = puzzles[:limit]
    solutions = None if solutions is None else solutions[:limit]
    solver = _solver(model_path, strategy, per_step, max_calls, batch_size, as_trained, given)
    try:
        with tqdm(total=len(puzzles), unit="puzzle", desc=strategy, disable=None) as bar:
            report = solver.evaluate(puzzles, solutions, by_difficulty, bar.update)
    except ValueError as err:
        raise InputError(f"{file}: {err}") from None
    report = {"file": file, "model": str(solver.model.path), **report}
    click.echo(json.dumps(report) if as_json else format_eval(report))


@click.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(dir_okay=False, path_type=Path))
@add_options(_setting_options(False))
@click.option("--reset", is_flag=True, help="Forget every stored setting first.")
def defaults(model_path, reset, **changes) -> None:
    """Show, or set, the decoding settings a model file carries.

    solve, eval and report use them whenever the command line does not give a setting.
    With no options, prints them; with options, stores them in MODEL (rewritten
    atomically, weights untouched) and prints the result.

    \b
    Examples:
      sudoku-tf defaults models/default.npz
      sudoku-tf defaults models/mine.npz --symmetries 4 --passes 2
      sudoku-tf defaults models/mine.npz --reset
    """
    if reset or any(v is not None for v in changes.values()):
        try:
            check_writable([model_path])                  # before the work, naming MODEL
            settings = store_settings(model_path, changes, reset)
        except ModelFileError as err:
            raise InputError(str(err)) from None
    else:
        settings = load_model_file(model_path, option=None).settings
    click.echo(json.dumps(settings) if settings else f"{model_path} carries no decoding settings")
