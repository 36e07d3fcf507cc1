"""XOR, the classic test of a hidden layer: a Network learns it, and can be drawn as SVG.

Trains the two-layer `Network(2, 8, 1)` with plain SGD and a deeper `NetworkN` with
Adam, prints each one's outputs for the four inputs, and with --svg writes a drawing of
the NetworkN (blue weights positive, red negative, width by size).

Usage:
    python scripts/examples/xor.py
    python scripts/examples/xor.py --svg xor.svg --seed 3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from sudoku_tf.nn import Adam, Network, NetworkN

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
Y = np.array([0, 1, 1, 0], np.float32)


def train_xor(seed: int = 0) -> tuple[Network, NetworkN]:
    """The classic Network trained with SGD, and a NetworkN trained with Adam."""
    classic = Network(2, 8, 1, seed=seed)
    classic.fit(X, Y, epochs=3000, batch_size=None, lr=2.0)
    deep = NetworkN([2, 6, 4, 1], activations=["tanh", "tanh", "sigmoid"],
                    optimizer=lambda: Adam(lr=0.05), seed=seed)
    deep.fit(X, Y, epochs=500, batch_size=None)
    return classic, deep


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--svg", type=Path, help="write a drawing of the NetworkN here")
    parser.add_argument("--force", action="store_true", help="replace an existing --svg file")
    args = parser.parse_args(argv)
    if args.svg and args.svg.exists() and not args.force:
        print(f"{args.svg} exists; pass --force to replace it", file=sys.stderr)
        return 2
    classic, deep = train_xor(args.seed)
    for model in (classic, deep):
        out = np.ravel(model.predict(X))
        right = (out > 0.5) == (Y == 1)
        print(f"{type(model).__name__} {model.sizes}: "
              + "  ".join(f"{a:.0f} xor {b:.0f} -> {o:.3f}" for (a, b), o in zip(X, out))
              + f"  ({right.sum()}/4 right)")
    if args.svg:
        args.svg.write_text(deep.to_svg())
        print(f"drawing of the NetworkN written to {args.svg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
