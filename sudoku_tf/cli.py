"""The `sudoku-tf` command line: thin commands that parse options and call the library."""

from __future__ import annotations

import errno
import json
import re
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click
from tqdm import tqdm

from . import __version__
from .data import check_output, save_dataset
from .decode import AUTO, BATCH_SIZE, MAX_CALLS, STRATEGIES
from .formatting import format_eval, format_solved, records, solve_summary
from .generator import DIFFICULTIES, GenerationError, PuzzleSpec, generate_puzzles
from .models import SHIPPED, load_model, shipped, store_settings
from .nn.transformer import NORMS
from .train import POSITIONS, TrainConfig

CONTEXT = {"help_option_names": ["-h", "--help"]}


class InputError(click.ClickException):
    """Bad user input (file contents, option values): one line on stderr, exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


class Interrupted(click.ClickException):
    """Ctrl-C: one line on stderr, exit code 130 as for any program a SIGINT ends."""

    exit_code = 130

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True)


def _parse_range(text: str, option: str) -> tuple[int, int]:
    """'24-36' -> (24, 36); '30' -> (30, 30)."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text)
    if not match:
        raise InputError(f"{option} wants a number or a range such as 24-36, not {text!r}")
    return int(match[1]), int(match[2] or match[1])


@contextmanager
def _one_line_usage():
    """Turns click's usage errors (a bad option value, a missing argument) into one line
    on stderr that names the problem and where to read more, exit code 2. Running a
    command with no arguments at all still shows its help. Ctrl-C is one line too, exit
    code 130."""
    try:
        yield
    except click.exceptions.NoArgsIsHelpError:
        raise
    except click.UsageError as err:
        where = err.ctx.command_path if err.ctx else "sudoku-tf"
        raise InputError(f"{err.format_message().rstrip('.')} (see '{where} --help')") from None
    except KeyboardInterrupt:
        raise Interrupted("interrupted") from None


class CommandGroup(click.Group):
    """The `sudoku-tf` group: usage errors, and files that cannot be read or written
    (a folder that does not exist or refuses writes, a full disk), are one line on
    stderr, exit code 2; Ctrl-C is one line, exit code 130."""

    def make_context(self, *args, **kwargs) -> click.Context:
        with _one_line_usage():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context):
        with _one_line_usage():
            try:
                return super().invoke(ctx)
            except OSError as err:
                if err.errno == errno.EPIPE:                     # `| head`: click's quiet exit
                    raise
                where = f"{err.filename}: " if err.filename else ""
                raise InputError(f"{where}{err.strerror or err}") from None


@click.group(cls=CommandGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="sudoku-tf")
def cli() -> None:
    """A NumPy Transformer that learns to solve Sudoku.

    Generate puzzles, train a model, solve puzzles with it, evaluate it, and write a
    report of what its attention heads learned.
    """


@cli.command()
@click.option("-n", "--count", type=click.IntRange(min=1), required=True,
              help="How many puzzles to make.")
@click.option("--givens", default="24-36", show_default=True,
              help="Givens per puzzle: a number or a range LO-HI in 17-81 (below 20 is slow).")
@click.option("--difficulty", type=click.Choice(DIFFICULTIES), multiple=True,
              help="Keep only puzzles of this difficulty (see README); repeat the option "
                   "for a set with equal shares of each.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output file: .txt (puzzles), .csv (puzzle,solution) or .npz.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes to use; the result is the same for any number.")
@click.option("--time-budget", type=click.FloatRange(min=0, min_open=True), default=60.0,
              show_default=True, help="Seconds per puzzle before giving up.")
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
def generate(count, givens, difficulty, seed, output, workers, time_budget, force) -> None:
    """Generate puzzles with exactly one solution, and their solutions.

    Each puzzle gets a number of givens drawn from the range and, if asked, a difficulty
    measured by the exact solver. The format follows the extension of OUTPUT; the same
    seed gives the same file for any number of workers.

    \b
    Examples:
      sudoku-tf generate -n 1000 --givens 24-36 --seed 1 -o train.npz
      sudoku-tf generate -n 20 --givens 22-30 --difficulty hard -o hard.csv --workers 2
      sudoku-tf generate -n 8 --givens 22-40 --difficulty easy --difficulty expert -o mixed.txt
    """
    lo, hi = _parse_range(givens, "--givens")
    try:
        specs = [PuzzleSpec((lo, hi), d, time_budget) for d in difficulty or [None]]
    except ValueError as err:
        raise InputError(f"--givens {givens}: {err}") from None
    try:
        check_output(output, force)
    except (ValueError, FileExistsError) as err:
        raise InputError(str(err)) from None
    with tqdm(total=count, unit="puzzle", desc="generate", disable=None) as bar:
        try:
            puzzles, solutions = generate_puzzles(count, specs, seed, workers, bar.update)
        except GenerationError as err:
            raise click.ClickException(
                f"{err}; try a wider --givens range or a larger --time-budget") from None
    save_dataset(output, puzzles, solutions, force)
    click.echo(f"wrote {count} puzzles to {output}", err=True)


# ------------------------------------------------------------------ train

_SHAPE_FLAGS = ("d_model", "n_heads", "d_ff", "n_blocks", "norm", "positions", "passes",
                "feedback", "state_norm", "relations")
_TRAIN_DEFAULTS = TrainConfig()


def _config_default(key: str) -> dict:
    """click settings that show `TrainConfig`'s default for `key` in --help. Only values
    given on the command line reach the config, so a --config file still applies."""
    value = getattr(_TRAIN_DEFAULTS, key)
    if isinstance(value, tuple):
        value = "-".join(map(str, value))
    return {"default": value, "show_default": True}


@cli.command()
@click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Dataset file(s) with solutions (.csv/.npz); repeatable. Default: a generated pool.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A run.json of settings; flags given here override it.")
@click.option("--steps", type=click.IntRange(min=1), **_config_default("steps"),
              help="Optimizer steps.")
@click.option("--batch-size", type=click.IntRange(min=1), **_config_default("batch_size"),
              help="Boards per step.")
@click.option("--d-model", type=int, **_config_default("d_model"), help="Model width.")
@click.option("--heads", "n_heads", type=int, **_config_default("n_heads"),
              help="Attention heads.")
@click.option("--d-ff", type=int, **_config_default("d_ff"), help="Feed-forward width.")
@click.option("--blocks", "n_blocks", type=int, **_config_default("n_blocks"),
              help="Transformer blocks.")
@click.option("--passes", type=int, **_config_default("passes"),
              help="Passes over the blocks with shared weights: the model's default per call.")
@click.option("--loops", type=int, hidden=True, help="The old name of --passes.")
@click.option("--feedback/--no-feedback", **_config_default("feedback"),
              help="Feed each pass a learned projection of the previous pass's probabilities.")
@click.option("--state-norm/--no-state-norm", **_config_default("state_norm"),
              help="Normalise the carried state (a LayerNorm) before each pass reads it.")
@click.option("--grad-passes", type=click.IntRange(min=1),
              help="Passes per step with a loss and gradients  [default: --passes]")
@click.option("--free-passes", **_config_default("free_passes"),
              help="LO-HI: a random number of gradient-free passes before them, per step.")
@click.option("--late-share", type=click.FloatRange(0, 1), **_config_default("late_share"),
              help="Share of steps whose gradient-free passes come from --late-passes.")
@click.option("--late-passes", **_config_default("late_passes"),
              help="LO-HI: gradient-free passes on a late-state step (states reached only "
                   "after long thinking).")
@click.option("--relations/--no-relations", **_config_default("relations"),
              help="Each attention head learns a bias per cell relation (same row, column, box...).")
@click.option("--carry", type=click.IntRange(min=1), **_config_default("carry"),
              help="Optimizer steps per batch, each going on from the state the last reached.")
@click.option("--norm", type=click.Choice(NORMS), **_config_default("norm"),
              help="LayerNorm placement.")
@click.option("--positions", type=click.Choice(POSITIONS), **_config_default("positions"),
              help="Position embeddings: per cell, row+column+box, or both.")
@click.option("--lr", type=float, **_config_default("lr"), help="Peak learning rate.")
@click.option("--warmup", type=int, **_config_default("warmup"), help="Linear warmup steps.")
@click.option("--weight-decay", type=float, **_config_default("weight_decay"),
              help="AdamW weight decay.")
@click.option("--clip", type=float, **_config_default("clip"),
              help="Global gradient-norm clip (0: off).")
@click.option("--givens", **_config_default("givens"),
              help="LO-HI: pool puzzles are cut toward LO; boards are revealed up to HI.")
@click.option("--curriculum", type=int, **_config_default("curriculum"),
              help="Steps over which the fewest givens falls from HI to LO.")
@click.option("--hard-first/--easy-first", **_config_default("hard_first"),
              help="Reverse curriculum: the most givens rises from LO to HI instead.")
@click.option("--difficulty-power", type=click.FloatRange(min=0),
              **_config_default("difficulty_power"),
              help="Draw puzzles with probability ~ (1 + solver guesses) ** P (0: uniform).")
@click.option("--path-share", type=click.FloatRange(0, 1), **_config_default("path_share"),
              help="Share of boards taken on their puzzle's path of naked and hidden singles "
                   "(easy cells filled first, as decoding meets them) instead of random "
                   "reveals.")
@click.option("--walk",
              help="LO-HI: walk each pool puzzle down to a number of givens in this range "
                   "(slower to make; see --pool-per-step).")
@click.option("--pool-per-step", type=click.FloatRange(min=0, min_open=True),
              **_config_default("pool_per_step"), help="Pool puzzles added per step.")
@click.option("--init-from", type=click.Path(dir_okay=False, path_type=Path),
              help="Start from this model file's weights (matching names and shapes; the "
                   "rest at zero).")
@click.option("--eval-every", type=click.IntRange(min=1), **_config_default("eval_every"),
              help="Steps between evaluations.")
@click.option("--eval-data", type=click.Path(dir_okay=False, path_type=Path),
              help="Held-out puzzles; default: a generated set from another seed.")
@click.option("--eval-size", type=click.IntRange(min=1), **_config_default("eval_size"),
              help="Evaluation puzzles.")
@click.option("--eval-passes", type=click.IntRange(min=1),
              help="Passes per network call in evaluation  [default: --passes]")
@click.option("--eval-threshold", type=click.FloatRange(0, 1, min_open=True),
              help="Evaluation's iterative decoding also fills every legal cell this sure.")
@click.option("--patience", type=click.IntRange(min=1),
              help="Stop after this many evaluations without a better model.")
@click.option("--max-minutes", type=click.FloatRange(min=0, min_open=True),
              help="Wall-clock budget.")
@click.option("--max-cpu-minutes", type=click.FloatRange(min=0, min_open=True),
              help="Budget of this process's CPU time (all threads).")
@click.option("--checkpoint-minutes", type=click.FloatRange(min=0, min_open=True),
              **_config_default("checkpoint_minutes"), help="Minutes between checkpoints.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), **_config_default("out"),
              help="Best model file; NAME.ckpt.npz and NAME.log.jsonl go beside it.")
@click.option("--resume", type=click.Path(dir_okay=False, path_type=Path),
              help="Continue from this checkpoint (flags may extend --steps or --max-minutes).")
@click.option("--seed", type=int, **_config_default("seed"), help="Random seed.")
@click.option("--force", is_flag=True,
              help="Replace existing --out, checkpoint and log files (a resume into the "
                   "same --out continues them without it).")
@click.option("-q", "--quiet", is_flag=True, help="No summary, bar or evaluation lines.")
@click.pass_context
def train(ctx, config_file, resume, force, quiet, **options) -> None:
    """Train a Sudoku Transformer and save the best model.

    Boards are masked puzzles (0 = empty); the loss is cross-entropy on empty cells.
    Every --eval-every steps the model is scored on a held-out set (cell accuracy and
    full solves under iterative decoding) and the best so far (by solve rate, then cell
    accuracy) is written to --out. Checkpoints go beside it every few minutes and on
    Ctrl-C, which then exits with status 130.

    \b
    Examples:
      sudoku-tf train --steps 2000 --d-model 64 --heads 4 --out models/small.npz
      sudoku-tf train --data train.npz --eval-data data/eval1000.csv --max-minutes 60
      sudoku-tf train --resume models/small.ckpt.npz --steps 4000
    """
    from .train import Trainer, TrainingStopped

    given = {k: v for k, v in options.items()
             if ctx.get_parameter_source(k) == click.core.ParameterSource.COMMANDLINE}
    if "loops" in given:
        given.setdefault("passes", given.pop("loops"))
        if not quiet:
            click.echo("--loops is now --passes; the old name still works", err=True)
    for key in ("givens", "free_passes", "late_passes", "walk"):
        if key in given:
            given[key] = _parse_range(given[key], "--" + key.replace("_", "-"))
    for key in ("data", "eval_data", "out", "init_from"):
        if key in given:
            given[key] = [str(p) for p in given[key]] if key == "data" else str(given[key])
    missing = [p for p in [*given.get("data", []), given.get("eval_data"), given.get("init_from")]
               if p and not Path(p).is_file()]
    if missing:
        raise InputError(f"{missing[0]}: no such file")
    try:
        if resume:
            changed = sorted(set(given) & set(_SHAPE_FLAGS))
            if changed:
                raise InputError(f"cannot change the model shape ({', '.join(changed)}) when resuming")
            trainer = Trainer.resume(resume, given, quiet=quiet, force=force)
        else:
            settings = _read_config(config_file) if config_file else {}
            trainer = Trainer(TrainConfig.from_json({**settings, **given}), quiet=quiet,
                              force=force)
    except (ValueError, OSError) as err:
        raise InputError(str(err)) from None
    except KeyboardInterrupt:
        click.echo("interrupted before the first step; nothing to save", err=True)
        ctx.exit(130)
    try:
        trainer.run()
    except TrainingStopped as err:
        raise click.ClickException(str(err)) from None
    if trainer.interrupted:
        ctx.exit(130)                                   # as an interrupted program does
    click.echo(f"best model: {trainer.cfg.out}", err=True)


def _read_config(path: Path) -> dict:
    try:
        settings = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"{path}: not a readable JSON config ({err})") from None
    if not isinstance(settings, dict):
        raise InputError(f"{path}: a config is a JSON object of settings")
    return settings


# ------------------------------------------------------------------ solve and eval

DEFAULT_PUZZLES = Path("data/eval1000.csv")      # what `report` analyses
_PUZZLE_CHARS = set("0123456789. \n")


_STRATEGY_HELP = ("oneshot: one network pass; iterative: fill the surest legal cells and "
                  "re-run; search: guided search, exact")


# the decoding settings a model file may carry (see `settings`): option, type, help
_SETTINGS = [
    ("--symmetries", click.IntRange(min=1),
     "Average the network over K Sudoku symmetries of each board (K forward passes per call).",
     "the model's setting, else 1"),
    ("--passes", click.IntRange(min=1),
     "Passes of the weight-tied blocks per network call (most passes, with halting).",
     "the model's setting, else the passes it was built with"),
    ("--halt-after", click.IntRange(min=1),
     "Stop refining a board once its predicted digits have not changed for K passes.",
     "the model's setting, if any"),
    ("--confident", click.FloatRange(0, 1, min_open=True),
     "Stop refining a board once every empty cell's top probability reaches P.",
     "the model's setting, if any"),
    ("--threshold", click.FloatRange(0, 1, min_open=True),
     "Also fill, in the same call, every legal cell the network gives at least P "
     "(search tries them together first, then one cell at a time).",
     "the model's setting, if any"),
    ("--search-symmetries", click.IntRange(min=1),
     "Symmetries for search (and auto's search) alone.",
     "--symmetries if given, else the model's search setting, else its symmetries"),
    ("--search-threshold", click.FloatRange(0, 1, min_open=True),
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
    return _apply(options)


def _apply(options: list):
    """A decorator adding click options to a command, in the order listed."""
    def add(command):
        for option in reversed(options):
            command = option(command)
        return command
    return add


def _read_puzzles(source: str):
    """PUZZLES from the command line: a file, '-' for standard input, or a literal puzzle."""
    from .board import PuzzleError, parse_boards
    from .data import load_dataset

    try:
        if source == "-":
            return parse_boards(sys.stdin.read(), source="stdin")
        if Path(source).exists():
            return load_dataset(source)
        if _looks_like_a_puzzle(source):
            return parse_boards(source, source="the PUZZLES argument")
    except PuzzleError as err:
        raise InputError(str(err)) from None
    except OSError as err:
        raise InputError(f"{source}: {err.strerror or err}") from None
    raise InputError(f"{source}: no such file, and not a puzzle of 81 cells")


def _looks_like_a_puzzle(text: str) -> bool:
    """Puzzle characters only, or 81 characters that are no file (a typo in a puzzle)."""
    cells = "".join(text.split())
    return bool(cells) and (set(text) <= _PUZZLE_CHARS or len(cells) == 81)


def _load_model(path: Path):
    """The model at path with the decoding settings it carries; InputError if unusable."""
    from .nn import ModelFileError

    try:
        return load_model(path)
    except ModelFileError as err:
        hint = "" if path.exists() else " (train one with `sudoku-tf train`, or pass --model)"
        raise InputError(f"{err}{hint}") from None


def _solver(path: Path, strategy: str, per_step: int, max_calls: int, batch_size: int,
            as_trained: bool, given: dict):
    """The model at path ready to decode with `strategy`, each decoding setting from the
    command line (`given`), else from the model file unless `as_trained`."""
    from .api import Solver

    return Solver(_load_model(shipped(path)), strategy=strategy, per_step=per_step,
                  max_calls=max_calls, batch_size=batch_size, as_trained=as_trained, **given)


@cli.command()
@click.argument("puzzles")
@_decode_options((AUTO, *STRATEGIES), AUTO,
                 f"auto: iterative, and guided search where it gets stuck; {_STRATEGY_HELP}.")
@click.option("--format", "fmt", type=click.Choice(["grid", "line", "json"]), default="grid",
              show_default=True,
              help="grid: a board per puzzle, filled digits marked; line: 81 characters; "
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
    boards, _ = _read_puzzles(puzzles)
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
                             solver.refining.mean_passes), err=True)
    if not result.solved.all():
        if result.no_solution is None:
            click.echo("--strategy auto or search always finds the solution when there is one",
                       err=True)
        ctx.exit(1)


@cli.command(name="eval")
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
    puzzles, solutions = _read_puzzles(file)
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


# ------------------------------------------------------------------ report

@cli.command()
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path),
              default=SHIPPED, show_default=True, help="Trained model file.")
@click.option("--puzzles", default=str(DEFAULT_PUZZLES), show_default=True,
              help="Puzzles to average over (a puzzle file, or - for stdin); the one the "
                   "passes improve most is also shown pass by pass and decoded step by step.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("reports/attention.html"), show_default=True, help="HTML file to write.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Also write the numbers as JSON to this file (- for stdout).")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="Use only the first N puzzles.")
@click.option("--cell", default="r5c5", show_default=True,
              help="The query cell whose attention the board overlays show.")
@click.option("--passes", type=click.IntRange(min=1),
              help="Passes of the weight-tied blocks to analyse, show and decode with  [default: "
                   "the model's setting, else the passes it was built with]")
@click.option("--force", is_flag=True, help="Replace existing output files.")
def report(model_path, puzzles, output, json_path, limit, cell, passes, force) -> None:
    """Write an HTML report of what each attention head looks at.

    Runs the model over the puzzles and measures, for every head, the attention a cell
    puts on its row, column and box, on itself and elsewhere, then labels the head row,
    column, box, self or mixed. The page (one self-contained file) leads with one puzzle,
    the one the passes improve most: the answer after each pass, and decoded step by step;
    then a view of every head, a table, a view per block and a heatmap per head. The table
    also goes to stdout, unless the JSON does.

    \b
    Examples:
      sudoku-tf report
      sudoku-tf report --model models/small.npz --puzzles data/example.csv -o small.html
      sudoku-tf report --limit 200 --json - --force | jq .labels
    """
    from .outputs import check_free, write_text
    from .report import build_report, format_table, parse_cell

    to_stdout = json_path is not None and str(json_path) == "-"
    files = [output] + ([json_path] if json_path and not to_stdout else [])
    try:
        query = parse_cell(cell)
        check_free(files, force)
    except (ValueError, FileExistsError) as err:
        raise InputError(str(err)) from None
    puzzles = shipped(puzzles, DEFAULT_PUZZLES)
    model_path = shipped(model_path, SHIPPED)
    boards, solutions = _read_puzzles(puzzles)
    loaded = _load_model(model_path)
    model, passes = loaded.network, passes or loaded.settings.get("passes")
    boards = boards[:limit]
    click.echo(f"analysing attention on {len(boards)} puzzles", err=True)
    result = build_report(model, boards, None if solutions is None else solutions[:limit],
                          str(model_path), puzzles, query, passes)
    write_text(output, result.html, force)
    text = json.dumps(result.data, indent=1)
    if json_path and not to_stdout:
        write_text(json_path, text + "\n", force)
    click.echo(text if to_stdout else format_table(result.data))
    click.echo(f"wrote {output}" + (f" and {json_path}" if json_path and not to_stdout else ""),
               err=True)


# ------------------------------------------------------------------ defaults

@cli.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(dir_okay=False, path_type=Path))
@_apply(_setting_options(False))
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
    from .nn import ModelFileError

    if reset or any(v is not None for v in changes.values()):
        try:
            settings = store_settings(model_path, changes, reset)
        except ModelFileError as err:
            raise InputError(str(err)) from None
    else:
        settings = _load_model(model_path).settings
    click.echo(json.dumps(settings) if settings else f"{model_path} carries no decoding settings")
