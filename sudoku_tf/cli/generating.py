"""`sudoku-tf generate`: puzzles with exactly one solution, written to a dataset file."""

from __future__ import annotations

from pathlib import Path

import click
from tqdm import tqdm

from ..data import check_output, save_dataset
from ..generator import DIFFICULTIES, GenerationError, PuzzleSpec, generate_puzzles
from .common import FiniteRange, InputError, parse_range


@click.command()
@click.option("-n", "--count", type=click.IntRange(min=1), required=True,
              help="How many puzzles to make.")
@click.option("--givens", default="24-36", show_default=True,
              help="Givens per puzzle: a number or a range LO-HI in 17-81 (below 20 is slow).")
@click.option("--difficulty", type=click.Choice(DIFFICULTIES), multiple=True,
              help="Keep only puzzles of this difficulty (see README); repeat the option "
                   "for a set with equal shares of each.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Random seed.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output file: .txt (puzzles), .csv (puzzle,solution) or .npz.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes to use; the result is the same for any number.")
@click.option("--time-budget", type=FiniteRange(min=0, min_open=True), default=60.0,
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
    lo, hi = parse_range(givens, "--givens")
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
