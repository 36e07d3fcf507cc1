"""Recurrence ablation at equal training compute: which options make the solve rate rise
as test-time passes grow.

Every arm trains the same small model (width 96, 4 heads, feed-forward 192, 2 blocks,
row/column/box positions) from the same seed and the same puzzle pool, for the same
CPU time (all threads of the training process, so CPU minutes are twice the wall
minutes of an otherwise idle two-core machine, and a busy machine does not shortchange
an arm). Each arm's cosine schedule is sized to its budget from a timed probe of its
own steps. The arms differ only in the recurrence options (see ARMS).

Each arm is then scored on the same fixed 1,000-puzzle sets at several test-time pass
counts: cell accuracy of one network call, and the solve rate of iterative decoding
(every legal cell the network gives at least THRESHOLD, at least one per call), with
one standard error.

Usage:
    python scripts/ablate_recurrence.py train [--cpu-minutes 24] [--arms baseline feedback]
    python scripts/ablate_recurrence.py score [--passes 1 2 4 8 16 32] [--limit 1000]
    python scripts/ablate_recurrence.py table          # Markdown table + SVG curve

Training resumes an arm from its checkpoint after a stop; scoring skips (arm, set,
passes) already in the results file.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

from sudoku_tf.board import read_boards
from sudoku_tf.charts import line_chart_svg
from sudoku_tf.decode import Refining, load_model
from sudoku_tf.evaluation import evaluate
from sudoku_tf.train import TrainConfig, Trainer, checkpoint_path

RUNS = Path("runs/ablation")
RESULTS = Path("reports/ablation/results.json")
CURVE = Path("reports/ablation/solve_rate_vs_passes.svg")
SETS = {"22 givens": "data/test_17-22.csv", "23-27 givens": "data/test_23-27.csv",
        "expert": "data/test_expert.csv"}
THRESHOLD = 0.9
MODEL = dict(d_model=96, n_heads=4, d_ff=192, n_blocks=2, positions="rcb", batch_size=64,
             lr=1.5e-3, warmup=300, seed=7, eval_every=10 ** 9, checkpoint_minutes=5.0)
ARMS = {
    "baseline": dict(n_loops=2),                                        # today's recipe
    "feedback": dict(n_loops=2, feedback=True),
    "free-6": dict(n_loops=8, grad_passes=2, free_passes=(6, 6)),         # 6 gradient-free, 2 graded
    "random-0-6": dict(n_loops=8, grad_passes=2, free_passes=(0, 6)),
    "feedback+random": dict(n_loops=8, grad_passes=2, free_passes=(0, 6), feedback=True),
}
PROBE_STEPS = 6


def config(arm: str, **kw) -> TrainConfig:
    return TrainConfig(**{**MODEL, **ARMS[arm], "out": str(RUNS / arm / "model.npz"), **kw})


def seconds_per_step(arm: str) -> float:
    """CPU seconds per training step of this arm, from a short probe."""
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(config(arm, out=f"{tmp}/probe.npz", steps=10 ** 6), quiet=True)
        trainer._step()                                             # warm up
        start = time.process_time()
        for _ in range(PROBE_STEPS):
            trainer._step()
            trainer.state.step += 1
        trainer.train_set.close()
        return (time.process_time() - start) / PROBE_STEPS


def train(arms: list[str], cpu_minutes: float) -> None:
    for arm in arms:
        ckpt = checkpoint_path(config(arm))
        if ckpt.exists():
            trainer = Trainer.resume(ckpt)
            if trainer.state.step >= trainer.cfg.steps:
                continue
        else:
            per_step = seconds_per_step(arm)
            steps = int(cpu_minutes * 60 / per_step)
            print(f"{arm}: {per_step:.3f} CPU s per step -> {steps} steps", file=sys.stderr)
            trainer = Trainer(config(arm, steps=steps, max_cpu_minutes=cpu_minutes))
        trainer.run()
        trainer.train_set.close()


def score(arms: list[str], passes: list[int], limit: int) -> None:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    done = {(r["arm"], r["set"], r["passes"]) for r in results}
    for arm in arms:
        model = load_model(RUNS / arm / "model.npz")
        for name, path in SETS.items():
            puzzles, solutions = read_boards(path)
            for p in passes:
                if (arm, name, p) in done:
                    continue
                network = Refining(model, p)
                m = evaluate(network, puzzles[:limit], solutions[:limit], threshold=THRESHOLD)
                n = m["puzzles"]
                results.append({"arm": arm, "set": name, "passes": p, "puzzles": n,
                                "solve_rate": m["solve_rate"],
                                "stderr": math.sqrt(m["solve_rate"] * (1 - m["solve_rate"]) / n),
                                "cell_accuracy": m["cell_accuracy"],
                                "mean_calls": m["mean_calls"], "seconds": m["seconds"]})
                print(f"{arm:>16} {name:>13} {p:>3} passes: solved {m['solve_rate']:.3f} "
                      f"cells {m['cell_accuracy']:.3f} calls {m['mean_calls']:.1f}", file=sys.stderr)
                RESULTS.parent.mkdir(parents=True, exist_ok=True)
                RESULTS.write_text(json.dumps(results, indent=1) + "\n")


def table() -> None:
    results = json.loads(RESULTS.read_text())
    passes = sorted({r["passes"] for r in results})
    arms = [a for a in ARMS if any(r["arm"] == a for r in results)]
    at = {(r["arm"], r["set"], r["passes"]): r for r in results}
    for name in SETS:
        print(f"\n**{name}**: solved (± one standard error) at test-time passes\n")
        print("| arm | trained passes | " + " | ".join(str(p) for p in passes) + " |")
        print("| --- | --- |" + " ---: |" * len(passes))
        for arm in arms:
            cells = [f"{100 * at[arm, name, p]['solve_rate']:.1f} ± {100 * at[arm, name, p]['stderr']:.1f}"
                     if (arm, name, p) in at else "" for p in passes]
            print(f"| {arm} | {trained_passes(arm)} | " + " | ".join(cells) + " |")
    series = {f"{arm}, {name}": [(p, at[arm, name, p]["solve_rate"], at[arm, name, p]["stderr"])
                                 for p in passes if (arm, name, p) in at]
              for name in SETS for arm in arms}
    CURVE.write_text(line_chart_svg(series, "test-time passes", "solved", log_x=True,
                                    groups=len(SETS)))


def trained_passes(arm: str) -> str:
    cfg = config(arm)
    grad = cfg.grad_passes or cfg.n_loops
    lo, hi = cfg.free_passes
    return f"{grad}" if hi == 0 else f"{lo + grad}-{hi + grad} ({grad} graded)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["train", "score", "table"])
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    parser.add_argument("--cpu-minutes", type=float, default=24.0)
    parser.add_argument("--passes", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args(argv)
    if args.command == "train":
        train(args.arms, args.cpu_minutes)
    elif args.command == "score":
        score(args.arms, args.passes, args.limit)
    else:
        table()
    return 0


if __name__ == "__main__":
    sys.exit(main())
