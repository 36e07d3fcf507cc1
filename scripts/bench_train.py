"""End-to-end training throughput against the bare optimizer step.

Times, for the training recipe's model (or a smaller one), how long the data pipeline
takes per batch (pool draw, Sudoku-symmetry augmentation, revealing cells) and how long
one training step takes (forward, masked loss, backward, clipping, AdamW), then a full
`Trainer` step that does both. The pipeline's share of a step should stay under 10 %.

Usage:
    python scripts/bench_train.py
    python scripts/bench_train.py --d-model 64 --heads 4 --d-ff 128 --batch-size 256
    OPENBLAS_NUM_THREADS=1 python scripts/bench_train.py --repeats 50
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from sudoku_tf.train import TrainConfig, Trainer, make_batch


def median_seconds(fn, repeats: int) -> float:
    fn()                                                    # warm up caches and the pool
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = TrainConfig()
    parser.add_argument("--d-model", type=int, default=defaults.d_model)
    parser.add_argument("--heads", type=int, default=defaults.n_heads)
    parser.add_argument("--d-ff", type=int, default=defaults.d_ff)
    parser.add_argument("--blocks", type=int, default=defaults.n_blocks)
    parser.add_argument("--passes", type=int, default=defaults.passes)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(d_model=args.d_model, n_heads=args.heads, d_ff=args.d_ff,
                          n_blocks=args.blocks, passes=args.passes, batch_size=args.batch_size,
                          eval_size=1, out=f"{tmp}/bench.npz")
        trainer = Trainer(cfg, quiet=True)
        puzzles, solutions = trainer.train_set.take(256)
        lo, hi = cfg.givens
        batch = make_batch(puzzles, solutions, cfg.batch_size, lo, hi, trainer.rng)

        data = median_seconds(lambda: make_batch(puzzles, solutions, cfg.batch_size, lo, hi,
                                                 trainer.rng), args.repeats)
        step = median_seconds(lambda: trainer.optimizer.train_step(
            lambda: trainer.model.loss_and_grad(*batch[:3]), clip=cfg.clip), args.repeats)
        full = median_seconds(trainer._step, args.repeats)
        trainer.train_set.close()

    B = cfg.batch_size
    print(f"model d_model={cfg.d_model} heads={cfg.n_heads} d_ff={cfg.d_ff} blocks={cfg.n_blocks} "
          f"passes={cfg.passes}, batch {B}, median of {args.repeats}")
    print(f"{'part':<34}{'ms':>10}{'puzzles/s':>12}")
    for name, seconds in [("data (draw, augment, reveal)", data), ("training step alone", step),
                          ("trainer step (data + step)", full)]:
        print(f"{name:<34}{seconds * 1e3:>10.2f}{B / seconds:>12.0f}")
    print(f"data pipeline share of a step: {data / full:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
