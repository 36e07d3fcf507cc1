"""Saving and loading models: one `.npz` of named arrays plus a versioned JSON config.

Loading never unpickles, so a model file cannot run code; a file that is not a model,
is damaged, has an unknown format version, or whose arrays do not fit its config is
refused with a one-line `ModelFileError`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .params import Module

FORMAT_VERSION = 1
CONFIG_KEY = "__config__"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")   # an .npz is a zip archive (or an empty one)
# what numpy and zipfile raise on a damaged archive or member
READ_ERRORS = (OSError, ValueError, EOFError, KeyError, NotImplementedError, struct.error,
               zipfile.BadZipFile, zlib.error)


class ModelFileError(ValueError):
    """A file that cannot be loaded as a model, with the reason."""


def save(model: Module, path, meta: dict | None = None,
         extra_arrays: dict[str, np.ndarray] | None = None) -> None:
    """Writes model (and optional JSON-able meta / extra arrays) atomically to path.

    The config records the class name and its constructor arguments (`model.config()`),
    so `load` rebuilds the same class without any other file.
    """
    header = {"format_version": FORMAT_VERSION, "class": type(model).__name__,
              "args": model.config(), "meta": meta or {}}
    arrays = {name: p.value for name, p in model.named_params()}
    for key, value in (extra_arrays or {}).items():
        arrays[f"extra/{key}"] = value
    arrays[CONFIG_KEY] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    write_npz_atomic(path, arrays)


def write_npz_atomic(path, arrays: dict[str, np.ndarray]) -> None:
    """Writes an .npz that appears complete or not at all."""
    with atomic_open(path) as f:
        np.savez(f, **arrays)


@contextlib.contextmanager
def atomic_open(path, mode: str = "wb"):
    """A new temporary file beside path, renamed onto path when the block succeeds and
    removed when it fails, so readers never see half a file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        f = open(tmp, mode.replace("w", "x"), **({} if "b" in mode else {"encoding": "utf-8"}))
    except OSError as err:                                        # name the file asked for
        blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        reason = f"{blocker} is not a folder" if blocker else err.strerror
        raise OSError(err.errno, f"cannot write there ({reason})", str(path)) from None
    try:
        with f:
            yield f
        try:
            os.replace(tmp, path)                                 # same folder: atomic
        except OSError as err:                                    # name the file, not tmp
            raise OSError(err.errno, f"cannot replace it ({err.strerror or err})",
                          str(path)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def is_npz_archive(path) -> bool:
    """Whether the file at path starts as an .npz (a zip archive) does: checked before numpy
    reads it, which would take anything else for a pickle."""
    with open(path, "rb") as f:
        return f.read(4) in ZIP_MAGIC


def read_header(path) -> tuple[dict, dict[str, np.ndarray]]:
    """Returns (header, arrays) of a model file, checking its format version."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    if not is_npz_archive(path):
        raise ModelFileError(f"{path}: not a model file (not an .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except READ_ERRORS as e:
        raise ModelFileError(f"{path}: not a model file, or a damaged one ({e})") from None
    damaged = [k for k, v in arrays.items() if not isinstance(v, np.ndarray)]
    if damaged:                                   # numpy hands back raw bytes for a non-.npy member
        raise ModelFileError(f"{path}: damaged model file (entry {damaged[0]!r} is not an array)")
    if CONFIG_KEY not in arrays:
        raise ModelFileError(f"{path}: not a model file (no {CONFIG_KEY} entry)")
    try:
        header = json.loads(arrays.pop(CONFIG_KEY).tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{path}: corrupt model config ({e})") from None
    if not isinstance(header, dict) or not all(
            isinstance(header.get(k, {}), dict) for k in ("args", "meta")):
        raise ModelFileError(f"{path}: corrupt model config (not a JSON object with "
                             f"object-valued args and meta)")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(f"{path}: model format version {version!r}; "
                             f"this package reads version {FORMAT_VERSION}")
    return header, arrays


def load(path) -> Module:
    """Rebuilds the saved model with its weights."""
    return load_with_meta(path)[0]


def load_with_meta(path) -> tuple[Module, dict]:
    """Rebuilds the saved model; also returns the meta dict stored beside it."""
    model, meta, _ = load_checkpoint(path)
    return model, meta


def load_checkpoint(path) -> tuple[Module, dict, dict[str, np.ndarray]]:
    """The model, its meta dict and the extra arrays saved beside it (e.g. optimizer
    state), from one read of the file."""
    header, arrays = read_header(path)
    classes = _model_classes()
    name = header.get("class")
    if name not in classes:
        raise ModelFileError(f"{path}: unknown model class {name!r}")
    cls, args = classes[name], header.get("args", {})
    try:
        model = cls.from_config(args) if hasattr(cls, "from_config") else cls(**args)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as e:
        raise ModelFileError(f"{path}: config does not build a {name} ({e})") from None
    for pname, p in model.named_params():
        if pname not in arrays:
            raise ModelFileError(f"{path}: missing array {pname!r}")
        value = arrays[pname]
        if value.dtype.kind not in "fiu":
            raise ModelFileError(f"{path}: array {pname!r} holds {value.dtype}, not numbers")
        if value.shape != p.value.shape:
            raise ModelFileError(f"{path}: array {pname!r} has shape {value.shape}, "
                                 f"the config needs {p.value.shape}")
        if not np.isfinite(value).all():
            raise ModelFileError(f"{path}: array {pname!r} holds values that are not finite "
                                 f"(nan or infinity): a broken model")
        p.value[...] = value
    extras = {k[len("extra/"):]: v for k, v in arrays.items() if k.startswith("extra/")}
    return model, header.get("meta", {}), extras


def _model_classes() -> dict[str, type]:
    from .. import nn  # the package namespace lists every public model class

    return {name: obj for name, obj in vars(nn).items()
            if isinstance(obj, type) and issubclass(obj, Module) and hasattr(obj, "config")}
