"""`sudoku-tf report`: what each attention head of a model looks at, as an HTML page."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..models import SHIPPED, shipped
from ..settings import MOST
from .common import InputError, load_model_file, read_puzzles

DEFAULT_PUZZLES = Path("data/eval1000.csv")      # what `report` analyses


@click.command()
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
@click.option("--passes", type=click.IntRange(1, MOST),
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
    from ..outputs import check_free, check_writable, write_text
    from ..report import build_report, format_table, parse_cell

    to_stdout = json_path is not None and str(json_path) == "-"
    files = [output] + ([json_path] if json_path and not to_stdout else [])
    try:
        query = parse_cell(cell)
        check_free(files, force)
        check_writable(files)                     # both, so neither is written alone
    except (ValueError, FileExistsError) as err:
        raise InputError(str(err)) from None
    puzzles = shipped(puzzles, DEFAULT_PUZZLES)
    model_path = shipped(model_path, SHIPPED)
    boards, solutions = read_puzzles(puzzles)
    loaded = load_model_file(model_path)
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
