"""Sudoku model files: loading one with the decoding settings it carries, storing those
settings, and finding the model the package ships.

What the settings mean and how decoders use them lives in `settings`; this module only
reads and writes files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .nn import ModelFileError, NetworkTransformer, load_checkpoint, save
from .settings import check

SHIPPED = Path("models/default.npz")             # the shipped model, within the checkout
CHECKOUT = Path(__file__).resolve().parents[1]   # the checkout this package runs from


@dataclass(frozen=True)
class SudokuModel:
    """A trained network (81 cells in, 9 digits out), the decoding settings its file
    carries (only those it sets; see `settings.BUILT_IN`) and the file (None: none)."""

    network: NetworkTransformer
    settings: dict
    path: Path | None


def shipped_model() -> Path:
    """Where the shipped model is, found from the package, not the working directory."""
    return CHECKOUT / SHIPPED


def shipped(path, default: Path = SHIPPED):
    """path (a str or a Path), unless it is `default` and the working directory lacks it:
    then the checkout's file, so `models/default.npz` works from any directory."""
    if str(path) == str(default) and not default.exists() and (CHECKOUT / default).exists():
        return type(path)(CHECKOUT / default)
    return path


def load_model(path=None) -> SudokuModel:
    """The Sudoku model at path (None: the shipped one) with its decoding settings;
    ModelFileError for a file that is missing, broken or not a Sudoku model."""
    if path is None and not shipped_model().exists():
        raise ModelFileError(f"{shipped_model()}: no such model file; the shipped model comes "
                             f"with a checkout of the repository (pip install -e .), or pass "
                             f"a model file")
    path = Path(shipped_model() if path is None else path)
    network, meta, _ = load_checkpoint(path)
    sudoku_network(network, path)
    try:
        return SudokuModel(network, check(dict(meta.get("decode") or {})), path)
    except (ValueError, TypeError) as err:
        raise ModelFileError(f"{path}: {err}") from None


def sudoku_network(network, path) -> NetworkTransformer:
    """network, loaded from path, if it reads 81 cells and predicts 9 digits;
    ModelFileError if not."""
    args = network.config()
    if not isinstance(network, NetworkTransformer) or (args["seq_len"], args["n_classes"]) != (81, 9):
        raise ModelFileError(f"{path}: a {type(network).__name__} that does not read 81 cells "
                             f"and predict 9 digits, so not a Sudoku model")
    return network


def store_settings(path, changes: dict, reset: bool = False) -> dict:
    """Writes `changes` into the settings the model file at path carries (starting from
    none with `reset`), atomically and keeping everything else in the file; returns the
    settings now stored."""
    network, meta, extras = load_checkpoint(path)
    sudoku_network(network, path)
    settings = {} if reset else dict(meta.get("decode") or {})
    settings.update({k: v for k, v in check(changes).items() if v is not None})
    save(network, path, {**meta, "decode": settings}, extras)
    return settings
