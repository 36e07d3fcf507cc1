"""The one rule for every file the application writes: an existing file is replaced only
when the user asks (`--force`), and a file appears whole or not at all.

The atomic write itself is the library's `nn.io.atomic_open`; this module adds the rule.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .nn.io import atomic_open


def check_free(paths, force: bool = False) -> None:
    """FileExistsError naming the first of `paths` that exists, unless `force`."""
    for path in paths:
        if Path(path).exists() and not force:
            raise FileExistsError(f"{path} exists; pass --force to replace it")


def check_writable(paths, make_folders: bool = False) -> None:
    """Checks, before any work, that a file can be made at each of `paths`: OSError naming
    the first whose folder is missing (unless `make_folders`: the caller makes it), is a
    file, or takes no new file."""
    for path in map(Path, paths):
        _check_folder(path, make_folders)


def _check_folder(path: Path, make_folders: bool) -> None:
    folder = path.parent
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        raise OSError(errno.ENOTDIR, f"cannot write there ({existing} is not a folder)", str(path))
    if existing != folder and not make_folders:
        raise OSError(errno.ENOENT, f"cannot write there (the folder {folder} does not exist)",
                      str(path))
    try:                                       # the one sure test: make a file, remove it
        handle, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=existing)
    except OSError as err:
        raise OSError(err.errno, f"cannot write there ({existing}: {err.strerror})",
                      str(path)) from None
    os.close(handle)
    os.unlink(probe)


def open_new(path, mode: str = "wb", force: bool = False):
    """An atomic writer for `path` (see `nn.io.atomic_open`) once the rule allows it."""
    check_free([path], force)
    return atomic_open(path, mode)


def write_text(path, text: str, force: bool = False) -> None:
    """Writes text to `path` atomically, refusing an existing file unless `force`."""
    with open_new(path, "w", force) as out:
        out.write(text)
