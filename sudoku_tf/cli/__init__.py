"""The `sudoku-tf` command line: thin commands that parse options and call the library.

One click group; each command lives in the module named for what it does (generating,
training, decoding: solve, eval and defaults, reporting), and what they share in
`common`.
"""

from __future__ import annotations

import errno
from contextlib import contextmanager

import click

from .. import __version__
from .common import InputError, Interrupted
from .decoding import defaults, eval_command, solve
from .generating import generate
from .reporting import report
from .training import train

CONTEXT = {"help_option_names": ["-h", "--help"]}


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
    stderr, exit code 2, and so is running out of memory (sizes too large); Ctrl-C is one
    line, exit code 130."""

    def make_context(self, *args, **kwargs) -> click.Context:
        with _one_line_usage():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context):
        with _one_line_usage():
            try:
                return super().invoke(ctx)
            except MemoryError as err:                          # e.g. --d-model 100000
                detail = f" ({err})" if str(err) else ""
                raise InputError(f"not enough memory{detail}; try smaller sizes") from None
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


for _command in (generate, train, solve, eval_command, report, defaults):
    cli.add_command(_command)
