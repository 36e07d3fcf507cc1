"""The one rule for every file the application writes: an existing file is replaced only
when the user asks (`--force`), and a file appears whole or not at all.

The atomic write itself is the library's `nn.io.atomic_open`; this module adds the rule.
"""

from __future__ import annotations

from pathlib import Path

from .nn.io import atomic_open


def check_free(paths, force: bool = False) -> None:
    """FileExistsError naming the first of `paths` that exists, unless `force`."""
    for path in paths:
        if Path(path).exists() and not force:
            raise FileExistsError(f"{path} exists; pass --force to replace it")


def open_new(path, mode: str = "wb", force: bool = False):
    """An atomic writer for `path` (see `nn.io.atomic_open`) once the rule allows it."""
    check_free([path], force)
    return atomic_open(path, mode)


def write_text(path, text: str, force: bool = False) -> None:
    """Writes text to `path` atomically, refusing an existing file unless `force`."""
    with open_new(path, "w", force) as out:
        out.write(text)
