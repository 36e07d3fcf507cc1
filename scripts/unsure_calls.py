"""What more test-time work buys on the calls where iterative decoding is unsure.

A puzzle is lost when a call finds no legal cell at the threshold and fills its surest
one, wrongly (`scripts/first_mistake.py`). This script decodes a puzzle file the way
`sudoku-tf eval --strategy iterative` does (the model's settings unless flags say
otherwise), keeps every such forced call made on a board that is still right, and asks
the network again on exactly those boards with more work: more symmetries, more passes,
or other symmetries (a new seed). It prints how many forced fills each choice gets
wrong; a choice that cuts them would be worth spending only on unsure calls.

Run it on puzzles made for the purpose, not on a test set, so that the choice is not
tuned on the puzzles it is judged on:

    sudoku-tf generate -n 500 --givens 23-27 --seed 8123 -o runs/val_23-27.csv
    python scripts/unsure_calls.py runs/val_23-27.csv --try 8x6:1 16x6:0 8x8:0 24x6:0
"""

from __future__ import annotations

import time

import numpy as np

from first_mistake import decoding_parser, decoding_setup
from sudoku_tf.board import EMPTY, candidates_mask
from sudoku_tf.decode import Refining, SymmetryAveraged, iterative, predict_in_batches


class Recorder:
    """A network that keeps every board it is asked about and its answer."""

    def __init__(self, network):
        self.network, self.boards, self.probs = network, [], []

    def predict(self, boards: np.ndarray) -> np.ndarray:
        probs = self.network.predict(boards)
        self.boards.append(boards.copy())
        self.probs.append(probs)
        return probs


def puzzle_of(boards: np.ndarray, puzzles: np.ndarray) -> np.ndarray:
    """(N,) the index of the puzzle each board was decoded from (the one whose givens it keeps)."""
    given = puzzles != EMPTY
    index = np.empty(len(boards), int)
    for i in range(0, len(boards), 256):
        keeps = ((boards[i:i + 256, None] == puzzles[None]) | ~given[None]).all(2)  # (b, P)
        index[i:i + 256] = keeps.argmax(1)
    return index


def surest_is_wrong(boards, probs, solutions) -> np.ndarray:
    """(N,) bool: the surest legal (cell, digit) of each board disagrees with its solution."""
    legal = candidates_mask(boards) & (boards == EMPTY)[..., None]        # (N, 81, 9)
    pick = np.where(legal, probs, -1.0).reshape(len(boards), -1).argmax(1)
    return solutions[np.arange(len(boards)), pick // 9] != pick % 9 + 1


def forced_calls(recorder, puzzles, solutions, threshold):
    """The boards of the recorded calls that were still right and had no legal cell at
    `threshold`: (boards (F, 81), their probabilities (F, 81, 9), solutions (F, 81))."""
    boards, probs = np.concatenate(recorder.boards), np.concatenate(recorder.probs)
    truth = solutions[puzzle_of(boards, puzzles)]
    right = ((boards == EMPTY) | (boards == truth)).all(1)
    legal = candidates_mask(boards) & (boards == EMPTY)[..., None]
    top = np.where(legal, probs, 0.0).reshape(len(boards), -1).max(1)
    forced = right & (top < threshold)
    return boards[forced], probs[forced], truth[forced]


def main() -> None:
    parser = decoding_parser(__doc__)
    parser.add_argument("--try", dest="choices", nargs="+", default=["16x6:0"],
                        help="KxP:S, K symmetries (seed S) at P passes, asked on the forced calls")
    args = parser.parse_args()
    puzzles, solutions, model, net, used = decoding_setup(args)
    recorder = Recorder(net)
    result = iterative(recorder, puzzles, threshold=used["threshold"])
    boards, probs, truth = forced_calls(recorder, puzzles, solutions, used["threshold"] or 1.0)
    print(f"{args.file}: {len(puzzles)} puzzles, {result.solved.sum()} solved "
          f"(symmetries {used['symmetries']}, passes {used['passes']}, threshold "
          f"{used['threshold']}); {len(boards)} forced calls on boards still right")
    print(f"  as decoded: {surest_is_wrong(boards, probs, truth).sum()} forced fills wrong")
    for choice in args.choices:
        shape, seed = choice.split(":")
        k, passes = (int(n) for n in shape.split("x"))
        start = time.perf_counter()
        network = SymmetryAveraged(Refining(model, passes), k, int(seed))
        again = predict_in_batches(network, boards)
        print(f"  {k} symmetries (seed {seed}), {passes} passes: "
              f"{surest_is_wrong(boards, again, truth).sum()} wrong "
              f"({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
