"""Quadrants: a NetworkN with a softmax output learns which quadrant a 2-D point lies in.

Trains on random points in [-1, 1]^2 with cross-entropy (class 0: x >= 0 and y >= 0,
1: x < 0, 2: y < 0, 3: both negative), watching a validation set, then prints the
summary, the loss curve and the accuracy on fresh points.

Usage:
    python scripts/examples/quadrants.py
    python scripts/examples/quadrants.py --points 2000 --epochs 100 --seed 1
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from sudoku_tf.nn import Adam, NetworkN


def quadrant(points: np.ndarray) -> np.ndarray:
    """Class of each point: (N, 2) -> (N,) int in 0..3."""
    return (points[:, 0] < 0).astype(int) + 2 * (points[:, 1] < 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1000, help="training (and test) points")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    train, val, test = rng.uniform(-1, 1, (3, args.points, 2)).astype(np.float32)
    net = NetworkN([2, 16, 4], activations=["tanh", "softmax"],
                   optimizer=lambda: Adam(lr=0.01), seed=args.seed)
    print(net.summary())
    history = net.fit(train, quadrant(train), epochs=args.epochs, batch_size=32,
                      validation_data=(val, quadrant(val)), patience=10)
    step = max(1, len(history) // 6)
    for epoch in range(1, len(history) + 1, step):
        record = history.epoch(epoch)
        print(f"epoch {epoch:3d}  loss {record['loss']:.4f}  val_loss {record['val_loss']:.4f}")
    accuracy = (net.predict(test).argmax(-1) == quadrant(test)).mean()
    print(f"accuracy on {args.points} fresh points: {accuracy:.1%} "
          f"({history.time[-1]:.2f}s, stopped: {history.stop_reason})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
