"""An LSTM that counts: the same input at every step, output 0 for three steps, then 1.

The input never changes, so only the recurrent state can tell step 2 from step 3.
`NetworkLSTM` is fed one step at a time with `predict`, then `train` backpropagates
through the whole six-step episode.

Usage:
    python scripts/examples/lstm_counter.py
    python scripts/examples/lstm_counter.py --episodes 500 --seed 3
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from sudoku_tf.nn import Adam, NetworkLSTM

TARGETS = [0, 0, 0, 1, 1, 1]     # one per step: 1 from step 3 on (counting from 0)
INPUT = np.ones(1, np.float32)   # constant: no step looks different from another


def run_episode(model: NetworkLSTM) -> list[float]:
    """Outputs of one episode from a fresh state, one per step."""
    model.reset_state()
    return [float(model.predict(INPUT)[0]) for _ in TARGETS]


def train_counter(episodes: int = 300, seed: int = 0) -> tuple[list[float], float]:
    """Trains on the counting episode; returns the outputs afterwards and the last loss."""
    model = NetworkLSTM(1, 8, [1], dense_activation="sigmoid", optimizer=lambda: Adam(lr=0.05),
                        seed=seed)
    for _ in range(episodes):
        run_episode(model)
        loss = model.train(TARGETS)
    return run_episode(model), loss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    outputs, loss = train_counter(args.episodes, args.seed)
    print(f"after {args.episodes} episodes (loss {loss:.5f}):")
    for step, (out, target) in enumerate(zip(outputs, TARGETS)):
        verdict = "ok" if (out > 0.5) == bool(target) else "WRONG"
        print(f"  step {step}: output {out:.3f}  target {target}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
