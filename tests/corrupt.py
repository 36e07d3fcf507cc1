"""Ways to damage a saved model file in place, for the tests of load and of the CLI."""

import json
import zipfile
from pathlib import Path

import numpy as np

from sudoku_tf.nn.io import CONFIG_KEY, read_header, write_npz_atomic


def _rewrite(path, change):
    """Rewrites the file with change(header, arrays) applied to its contents."""
    header, arrays = read_header(path)
    header = change(header, arrays) or header
    arrays[CONFIG_KEY] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    write_npz_atomic(path, arrays)


def config_not_an_object(path):
    _rewrite(path, lambda header, arrays: [header])


def string_weights(path):
    def change(header, arrays):
        name = next(k for k in arrays if k != CONFIG_KEY)
        arrays[name] = np.full(arrays[name].shape, "w")
    _rewrite(path, change)


def nan_weights(path):
    """A weight that is not a number, as a diverged training would leave it."""
    def change(header, arrays):
        name = next(k for k in arrays if k != CONFIG_KEY and arrays[k].dtype.kind == "f")
        arrays[name] = arrays[name].copy()
        arrays[name].flat[0] = np.nan
    _rewrite(path, change)


def unsupported_compression(path):
    """Marks the first member of the archive's directory with an unknown compression method."""
    raw = bytearray(Path(path).read_bytes())
    entry = raw.find(b"PK\x01\x02")
    raw[entry + 10:entry + 12] = (99).to_bytes(2, "little")
    Path(path).write_bytes(bytes(raw))


def zeroed_stretch(path):
    """Zeroes 64 bytes in the middle of the file: a member's data fails its checksum."""
    raw = bytearray(Path(path).read_bytes())
    middle = len(raw) // 2
    raw[middle:middle + 64] = bytes(64)
    Path(path).write_bytes(bytes(raw))


def zeroed_member(path):
    """Zeroes the start of a member with a matching checksum: no longer an .npy array."""
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    name = next(n for n in members if not n.startswith(CONFIG_KEY))
    members[name] = bytes(64) + members[name][64:]
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)


def truncated(path):
    raw = Path(path).read_bytes()
    Path(path).write_bytes(raw[:len(raw) // 2])


def plain_text(path):
    Path(path).write_text("weights: 0.1 0.2 0.3\n")


CORRUPTIONS = {f.__name__: f for f in (config_not_an_object, string_weights, nan_weights,
                                      unsupported_compression,
                                      zeroed_stretch, zeroed_member, truncated, plain_text)}
