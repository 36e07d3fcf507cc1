"""What every command shares: the errors a user sees (one line, exit code 2 or 130),
option helpers, and reading the PUZZLES and --model a command is given."""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import click

from ..board import PuzzleError, parse_boards
from ..data import load_dataset
from ..models import load_model
from ..nn import ModelFileError

_PUZZLE_CHARS = set("0123456789. \n")
_LINE_BREAKS = {ord(c): repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


class InputError(click.ClickException):
    """Bad user input (file contents, option values): one line on stderr, exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        # what the user typed may hold line breaks: shown escaped, the message stays one line
        click.echo(f"Error: {self.format_message().translate(_LINE_BREAKS)}", err=True)


class FiniteRange(click.FloatRange):
    """click's FloatRange that also refuses nan and infinity (which compare false with
    every bound, so a range alone lets nan through)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


class Interrupted(click.ClickException):
    """Ctrl-C: one line on stderr, exit code 130 as for any program a SIGINT ends."""

    exit_code = 130

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True)


def parse_range(text: str, option: str) -> tuple[int, int]:
    """'24-36' -> (24, 36); '30' -> (30, 30)."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text)
    if not match:
        raise InputError(f"{option} wants a number or a range such as 24-36, not {text!r}")
    return int(match[1]), int(match[2] or match[1])


def add_options(options: list):
    """A decorator adding click options to a command, in the order listed."""
    def add(command):
        for option in reversed(options):
            command = option(command)
        return command
    return add


def read_puzzles(source: str):
    """PUZZLES from the command line: a file, '-' for standard input, or a literal puzzle."""
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


def load_model_file(path: Path, option: str | None = "--model"):
    """The model at path with the decoding settings it carries; InputError if unusable.
    `option` is the command's option naming another model file, if it has one."""
    try:
        return load_model(path)
    except ModelFileError as err:
        other = f", or pass {option}" if option else ""
        hint = "" if path.exists() else f" (train one with `sudoku-tf train`{other})"
        raise InputError(f"{err}{hint}") from None
