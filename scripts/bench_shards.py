"""How small a batch is still worth splitting over threads: `predict` time per batch size
with shards of at least MIN_SHARD rows, for a few MIN_SHARD values, in one run.

Small batches are what decoding one puzzle sends (one board per symmetry), so this sets
`sudoku_tf.nn.parallel.MIN_SHARD`. Run on an otherwise idle machine:

    python scripts/bench_shards.py [--model models/default.npz] [--repeats 10]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sudoku_tf.nn import load, parallel


def predict_ms(model, boards: np.ndarray, min_shard: int, repeats: int) -> float:
    """Mean milliseconds of model.predict(boards) with shards of at least min_shard rows."""
    parallel.MIN_SHARD = min_shard
    model.predict(boards)                                            # warm the replicas
    start = time.perf_counter()
    for _ in range(repeats):
        model.predict(boards)
    return 1000 * (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/default.npz")
    parser.add_argument("--rows", type=int, nargs="+", default=[2, 4, 6, 8, 12, 16])
    parser.add_argument("--min-shards", type=int, nargs="+", default=[8, 2])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    model = load(args.model)
    boards = np.random.default_rng(0).integers(0, 10, (max(args.rows), 81))
    base = args.min_shards[0]
    print("| rows | " + " | ".join(f"ms, MIN_SHARD {m}" for m in args.min_shards)
          + " | " + " | ".join(f"speed-up of {m}" for m in args.min_shards[1:]) + " |")
    print("| ---: " * (2 * len(args.min_shards)) + "|")
    for rows in args.rows:
        ms = [predict_ms(model, boards[:rows], m, args.repeats) for m in args.min_shards]
        print(f"| {rows} | " + " | ".join(f"{t:.1f}" for t in ms) + " | "
              + " | ".join(f"{ms[0] / t:.2f}" for t in ms[1:]) + " |", flush=True)
    print(f"({parallel.get_threads()} threads; speed-up: time at MIN_SHARD {base} / time at the other)")


if __name__ == "__main__":
    main()
