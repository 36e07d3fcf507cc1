"""Where iterative decoding goes wrong: the first wrong fill of every puzzle it loses.

Decodes a test set the way `sudoku-tf eval --strategy iterative` does (the model's
settings unless flags say otherwise) and, for each puzzle not solved, finds the earliest
call that filled a cell with the wrong digit. It prints how sure the network was of that
digit, against how sure it was of the right fills, and how far into the puzzle (empty
cells left) the mistake came:

- a mistake at 0.99 or more was filled by the threshold rule and a stricter threshold
  might have waited for it; one below was the surest legal cell of its call, forced;
- the share of lost puzzles whose first mistake is already in the first call says how
  much is lost before any iteration could help;
- lost puzzles that naked and hidden singles alone solve, and mistakes at a cell whose
  digit singles decide from the board the mistake was made on, are lost on easy logic.

    python scripts/first_mistake.py data/test_17-22.csv [--model models/default.npz] [--limit N]
"""

from __future__ import annotations

import argparse

import numpy as np

from sudoku_tf import Solver
from sudoku_tf.board import EMPTY
from sudoku_tf.data import load_dataset
from sudoku_tf.candidates import propagate, to_boards, to_masks
from sudoku_tf.decode import iterative
from sudoku_tf.models import load_model

BINS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0)


def singles(boards: np.ndarray) -> np.ndarray:
    """(B, 81) boards -> what naked and hidden singles decide from them, (B, 81)."""
    return to_boards(propagate(to_masks(boards))[0])


def first_mistakes(puzzles, solutions, result):
    """Per lost puzzle: (call of its first wrong fill, that fill's confidence, empty cells
    left before that call, whether singles decide a wrongly filled cell from there)."""
    wrong = (result.order >= 0) & (result.boards != solutions)                 # (B, 81)
    rows = []
    for b in np.flatnonzero(~result.solved & wrong.any(1)):
        step = result.order[b][wrong[b]].min()
        cells = np.flatnonzero(wrong[b] & (result.order[b] == step))
        earlier = (result.order[b] >= 0) & (result.order[b] < step)
        before = np.where(earlier, result.boards[b], puzzles[b])               # (81,)
        easy = (singles(before[None])[0][cells] != EMPTY).any()
        rows.append((int(step), float(result.confidence[b, cells].max()),
                     int((before == EMPTY).sum()), bool(easy)))
    return rows


def histogram(values) -> str:
    counts, _ = np.histogram(values, BINS)
    share = counts / max(len(values), 1)
    return "  ".join(f"[{lo:g},{hi:g}) {100 * s:4.1f}%" for lo, hi, s in zip(BINS, BINS[1:], share))


def decoding_parser(doc: str) -> argparse.ArgumentParser:
    """The command line of a script that decodes a puzzle file the way `eval` does."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--model", default="models/default.npz")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--symmetries", type=int)
    parser.add_argument("--passes", type=int)
    parser.add_argument("--threshold", type=float)
    return parser


def decoding_setup(args):
    """(puzzles, solutions, model, network, settings used) for `decoding_parser`'s args:
    the network as `eval` builds it from the model's settings, flags winning."""
    puzzles, solutions = load_dataset(args.file)
    puzzles, solutions = puzzles[:args.limit], solutions[:args.limit]
    loaded = load_model(args.model)
    solver = Solver(loaded, strategy="iterative", symmetries=args.symmetries,
                    passes=args.passes, threshold=args.threshold)
    return puzzles, solutions, loaded.network, solver.network, solver.settings


def main() -> None:
    args = decoding_parser(__doc__).parse_args()
    puzzles, solutions, _, net, used = decoding_setup(args)
    result = iterative(net, puzzles, threshold=used["threshold"])
    lost = first_mistakes(puzzles, solutions, result)
    right = (result.order >= 0) & (result.boards == solutions)

    print(f"{args.file}: {len(puzzles)} puzzles, {result.solved.sum()} solved, {len(lost)} lost "
          f"(symmetries {used['symmetries']}, passes {used['passes']}, threshold {used['threshold']})")
    if not lost:
        return
    step, conf, left, easy = (np.array(c) for c in zip(*lost))
    print(f"confidence of right fills:          {histogram(result.confidence[right])}")
    print(f"confidence of first wrong fills:    {histogram(conf)}")
    print(f"first mistake in call 1: {100 * np.mean(step == 0):.1f} % of lost puzzles; "
          f"calls before it: median {np.median(step):.0f}")
    if used["threshold"] is not None:
        print(f"first mistake filled by the threshold rule (>= {used['threshold']}): "
              f"{100 * np.mean(conf >= used['threshold']):.1f} %")
    by_singles = (singles(puzzles) != EMPTY).all(1)
    print(f"lost puzzles that singles alone solve: {(by_singles & ~result.solved).sum()} "
          f"(of {by_singles.sum()} such puzzles in the set); first mistakes at a cell singles "
          f"decide from the board it was made on: {100 * easy.mean():.1f} %")
    print(f"empty cells left at the mistake: median {np.median(left):.0f} "
          f"(quartiles {np.percentile(left, 25):.0f}-{np.percentile(left, 75):.0f}), "
          f"of {np.median((puzzles == EMPTY).sum(1)):.0f} at the start")


if __name__ == "__main__":
    main()
