"""The `sudoku-tf` command line: thin commands that parse options and call the library."""

from __future__ import annotations

import click

from . import __version__

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
