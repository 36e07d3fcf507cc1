"""The `sudoku-tf` command line: thin commands that parse options and call the library."""

from __future__ import annotations

import re
from pathlib import Path

import click
from tqdm import tqdm

from . import __version__
from .data import check_output, save_dataset
from .generator import DIFFICULTIES, GenerationError, PuzzleSpec, generate_puzzles

CONTEXT = {"help_option_names": ["-h", "--help"]}


class InputError(click.ClickException):
    """Bad user input (file contents, option values): one line on stderr, exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


@click.group(context_settings=CONTEXT)
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
              help="Givens per puzzle: a number or a range LO-HI in 17-81 (below 22 is slow).")
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
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", givens)
    if not match:
        raise InputError(f"--givens wants a number or a range such as 24-36, not {givens!r}")
    lo = int(match[1])
    hi = int(match[2] or lo)
    try:
        specs = [PuzzleSpec((lo, hi), d, time_budget) for d in difficulty or [None]]
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
