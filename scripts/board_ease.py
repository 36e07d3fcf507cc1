"""How much of a training board is easy: random reveals against the path of singles.

For each puzzle of a set, one board on its path of singles (`data.singles_path`, what
`train --path-share` trains on) and one random reveal (`data.reveal`) with exactly as
many givens; for both kinds, the share of empty cells that one round of naked and
hidden singles decides, and that singles decide at all.

    python scripts/board_ease.py data/test_17-22.csv [--seed 0]
"""

from __future__ import annotations

import argparse

import numpy as np

from sudoku_tf.board import EMPTY
from sudoku_tf.data import load_dataset, reveal, singles_path
from sudoku_tf.candidates import propagate, to_boards, to_masks


def decided_share(boards: np.ndarray, rounds: int | None) -> float:
    """Share of the empty cells of (B, 81) boards that `rounds` rounds of singles decide."""
    decided = to_boards(propagate(to_masks(boards), rounds)[0]) != EMPTY
    empty = boards == EMPTY
    return float((decided & empty).sum() / empty.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    puzzles, solutions = load_dataset(args.file)
    rng = np.random.default_rng(args.seed)
    on_path = singles_path(puzzles, rng)
    givens = (on_path != EMPTY).sum(1)
    revealed = np.stack([reveal(p[None], s[None], g, g, rng)[0]
                         for p, s, g in zip(puzzles, solutions, givens)])
    print(f"{args.file}: {len(puzzles)} boards of each kind, {givens.mean():.1f} givens on average")
    for name, boards in (("path of singles", on_path), ("random reveal", revealed)):
        print(f"{name:16}  decided by one round of singles {100 * decided_share(boards, 1):5.1f} %"
              f"  by singles at all {100 * decided_share(boards, None):5.1f} %")


if __name__ == "__main__":
    main()
