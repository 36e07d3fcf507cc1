"""Dataset files of puzzles and solutions (.txt, .csv, .npz) and the training batches
drawn from them.

Parsing of puzzle text lives in `board`; this module picks the format by extension.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from .board import EMPTY, N_CELLS, PuzzleError, check_boards, format_lines, read_boards
from .candidates import propagate, to_boards, to_masks
from .generator import augment
from .nn.io import is_npz_archive
from .outputs import check_free, check_writable, open_new

FORMATS = (".txt", ".csv", ".npz")


def load_dataset(path) -> tuple[np.ndarray, np.ndarray | None]:
    """Puzzles (N, 81) int8 and solutions (N, 81) int8 or None, from .npz or any puzzle text."""
    path = Path(path)
    if path.suffix.lower() != ".npz":
        return read_boards(path)
    if not is_npz_archive(path):
        raise PuzzleError("not an .npz archive", source=str(path))
    try:
        with np.load(path, allow_pickle=False) as arrays:
            puzzles = _board_array(arrays, "puzzles", path)
            solutions = _board_array(arrays, "solutions", path) if "solutions" in arrays else None
    except (OSError, ValueError, EOFError, NotImplementedError, zipfile.BadZipFile,
            zlib.error) as err:
        raise PuzzleError(f"not a readable .npz file ({err})", source=str(path)) from None
    if solutions is not None and solutions.shape != puzzles.shape:
        raise PuzzleError(f"'solutions' has shape {solutions.shape}, 'puzzles' {puzzles.shape}",
                          source=str(path))
    check_boards(puzzles, solutions, source=str(path))
    return puzzles, solutions


def _board_array(arrays, name: str, path: Path) -> np.ndarray:
    """One (N, 81) integer array of cells 0..9 from an open .npz, as int8."""
    if name not in arrays:
        raise PuzzleError(f"no '{name}' array", source=str(path))
    boards = arrays[name]
    if boards.ndim != 2 or boards.shape[1] != N_CELLS or boards.dtype.kind not in "iu":
        raise PuzzleError(f"'{name}' must be an (N, 81) integer array, got {boards.dtype} "
                          f"{boards.shape}", source=str(path))
    if boards.size and (boards.min() < 0 or boards.max() > 9):
        raise PuzzleError(f"'{name}' holds values outside 0-9", source=str(path))
    return boards.astype(np.int8)


def check_output(path, force: bool = False) -> Path:
    """`path` if a dataset may be written there: a known extension, no file unless `force`,
    a folder that takes a new file."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"{path}: unknown extension {path.suffix!r}; "
                         f"use one of {', '.join(FORMATS)}")
    check_free([path], force)
    check_writable([path])
    return path


def save_dataset(path, puzzles: np.ndarray, solutions: np.ndarray | None = None,
                 force: bool = False) -> Path:
    """Write puzzles (and solutions) in the format of the extension, atomically.

    .txt holds one 81-character puzzle per line (no solutions), .csv `puzzle,solution`,
    .npz int8 arrays `puzzles` and `solutions`. The file appears complete or not at all.
    """
    path = check_output(path, force)
    suffix = path.suffix.lower()
    if suffix == ".csv" and solutions is None:
        raise ValueError("a .csv dataset needs solutions")
    with open_new(path, force=force) as out:
        if suffix == ".npz":
            arrays = {"puzzles": np.asarray(puzzles, np.int8)}
            if solutions is not None:
                arrays["solutions"] = np.asarray(solutions, np.int8)
            np.savez_compressed(out, **arrays)
        elif suffix == ".csv":
            rows = map(",".join, zip(format_lines(puzzles), format_lines(solutions)))
            out.write(("puzzle,solution\n" + "".join(r + "\n" for r in rows)).encode())
        else:
            out.write("".join(line + "\n" for line in format_lines(puzzles)).encode())
    return path


def reveal(puzzles: np.ndarray, solutions: np.ndarray, lo: int, hi: int,
           rng: np.random.Generator) -> np.ndarray:
    """Fills random empty cells from the solution so each board has U[lo, hi] givens.

    A board already holding more than the drawn number is left alone. Revealing keeps
    the solution unique and yields exactly the boards that iterative decoding meets.
    """
    n = len(puzzles)
    have = (puzzles != EMPTY).sum(1)                                # (B,)
    want = np.maximum(rng.integers(lo, hi + 1, n), have)
    # rank the empty cells in random order; reveal the first (want - have) of them
    keys = np.where(puzzles == EMPTY, rng.random(puzzles.shape), np.inf)
    rank = keys.argsort(1).argsort(1)                               # (B, 81)
    show = (rank < (want - have)[:, None]) & (puzzles == EMPTY)
    return np.where(show, solutions, puzzles).astype(np.int8)


def singles_path(puzzles: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each puzzle at a random point of the path that naked and hidden singles take
    through it: (B, 81) int8 boards.

    A round of singles decides every cell it can at once; a board is the puzzle after
    r rounds, r uniform up to where the rounds stop changing it, plus a random share of
    the cells round r + 1 decides. These are boards met the way iterative decoding meets
    them, easy cells filled first, so what is left empty is what needs reasoning. A board
    always keeps an empty cell.
    """
    masks = to_masks(puzzles)
    rounds = [np.asarray(puzzles, np.int8)]                         # boards after 0, 1, ... rounds
    while True:
        masks, _ = propagate(masks, rounds=1)
        boards = to_boards(masks)
        if (boards == rounds[-1]).all():
            break
        rounds.append(boards)
    path = np.stack(rounds)                                         # (R + 1, B, 81)
    B = len(puzzles)
    moves = (path[1:] != path[:-1]).any(2).sum(0)                 # (B,) rounds that changed it
    full = (path[-1] != EMPTY).all(1)
    last = np.maximum(moves - full, 0)                              # latest round to start from
    r = (rng.random(B) * (last + 1)).astype(int)                    # (B,) in 0..last
    now = path[r, np.arange(B)]                                     # (B, 81)
    after = path[np.minimum(r + 1, len(path) - 1), np.arange(B)]
    share = rng.random((B, 1))
    boards = np.where(rng.random(now.shape) < share, after, now)
    return np.where((boards != EMPTY).all(1, keepdims=True), now, boards).astype(np.int8)


def difficulty_weights(difficulty: np.ndarray, power: float) -> np.ndarray:
    """Draw probabilities (N,) proportional to (1 + difficulty) ** power; 0 gives uniform."""
    weights = (1.0 + np.asarray(difficulty, np.float64)) ** power
    return weights / weights.sum()


def make_batch(puzzles, solutions, size: int, lo: int, hi: int, rng, weights=None,
               path_share: float = 0.0):
    """A training batch: tokens (B, 81) int8, targets (B, 81) class ids, mask (B, 81) bool.

    Puzzles are drawn uniformly, or with the probabilities `weights` (N,) if given. Each
    board is its puzzle with random cells revealed (`reveal`), or with probability
    `path_share` a point on its path of singles (`singles_path`).
    """
    index = (rng.integers(0, len(puzzles), size) if weights is None
             else rng.choice(len(puzzles), size, p=weights))
    p, s = augment(puzzles[index], solutions[index], rng)
    boards = reveal(p, s, lo, hi, rng)
    if path_share > 0:
        on_path = rng.random(size) < path_share
        if on_path.any():
            boards[on_path] = singles_path(p[on_path], rng)
    return boards, s.astype(np.int64) - 1, boards == EMPTY
