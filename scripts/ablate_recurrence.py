"""Recurrence ablation at equal training compute: which options make the solve rate rise
as test-time passes grow.

Every arm trains the same small model (width 96, 4 heads, feed-forward 192, 2 blocks,
row/column/box positions) from the same seed and the same puzzle pool, for the same
CPU time (all threads of the training process, so CPU minutes are twice the wall
minutes of an otherwise idle two-core machine, and a busy machine does not shortchange
an arm). Each arm's cosine schedule is sized to its budget from a timed probe of its
own steps. The arms differ only in the recurrence options (see ARMS).

Each arm is then scored on the same fixed 1,000-puzzle sets at several test-time pass
counts: the accuracy of one network call on the empty cells (at every count of
--passes), and the solve rate of iterative decoding (every legal cell the network gives
at least THRESHOLD, at least one per call; at the counts of --solve-passes, as it costs
one call per step), each with one standard error.

Usage:
    python scripts/ablate_recurrence.py train [--cpu-minutes 24] [--arms baseline feedback]
    python scripts/ablate_recurrence.py score [--passes 1 2 4 8 16 32 64] [--solve-passes 2 8 32]
    python scripts/ablate_recurrence.py table          # Markdown tables + SVG curves

Training resumes an arm from its checkpoint after a stop; scoring skips (arm, set,
passes) already in the results file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from sudoku_tf import evaluation
from sudoku_tf.board import read_boards
from sudoku_tf.decode import Refining, iterative
from sudoku_tf.models import load_model
from sudoku_tf.report.charts import line_chart_svg
from sudoku_tf.train import TrainConfig, Trainer, checkpoint_path

RUNS = Path("runs/ablation")
RESULTS = Path("reports/ablation/results.json")
CURVES = {"cells": Path("reports/ablation/cells_vs_passes.svg"),
          "solved": Path("reports/ablation/solved_vs_passes.svg")}
SETS = {"22 givens": "data/test_17-22.csv", "23-27 givens": "data/test_23-27.csv",
        "expert": "data/test_expert.csv"}
THRESHOLD = 0.9
MODEL = dict(d_model=96, n_heads=4, d_ff=192, n_blocks=2, positions="rcb", batch_size=64,
             lr=1.5e-3, warmup=300, seed=7, eval_every=10 ** 9, checkpoint_minutes=5.0)
ARMS = {
    "baseline": dict(passes=2),                                        # today's recipe
    "feedback": dict(passes=2, feedback=True),
    "free-6": dict(passes=8, grad_passes=2, free_passes=(6, 6)),         # 6 gradient-free, 2 graded
    "random-0-6": dict(passes=8, grad_passes=2, free_passes=(0, 6)),
    "feedback+random": dict(passes=8, grad_passes=2, free_passes=(0, 6), feedback=True),
    "feedback+random+norm": dict(passes=8, grad_passes=2, free_passes=(0, 6), feedback=True,
                                 state_norm=True),                     # carried state normalised
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


def score(arms: list[str], passes: list[int], solve_passes: list[int], limit: int) -> None:
    """Per arm, set and pass count: one network call's accuracy on the empty cells (each
    at `passes`) and iterative decoding's solve rate (each at `solve_passes`)."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    done = {(r["arm"], r["set"], r["measure"], r["passes"]) for r in results}
    for arm in arms:
        model = load_model(RUNS / arm / "model.npz").network
        for name, path in SETS.items():
            if not Path(path).exists():
                print(f"{path} not made yet: skipped (see README for the command)", file=sys.stderr)
                continue
            puzzles, solutions = (a[:limit] for a in read_boards(path))
            jobs = [("cells", p) for p in passes] + [("solved", p) for p in solve_passes]
            for measure, p in jobs:
                if (arm, name, measure, p) in done:
                    continue
                start = time.perf_counter()
                value, error, calls = MEASURES[measure](Refining(model, p), puzzles, solutions)
                results.append({"arm": arm, "set": name, "measure": measure, "passes": p,
                                "puzzles": len(puzzles), "value": value, "stderr": error,
                                "mean_calls": calls, "seconds": time.perf_counter() - start})
                print(f"{arm:>16} {name:>13} {measure:>6} at {p:>3} passes: {value:.3f} "
                      f"± {error:.3f} ({calls:.1f} calls)", file=sys.stderr)
                RESULTS.parent.mkdir(parents=True, exist_ok=True)
                RESULTS.write_text(json.dumps(results, indent=1) + "\n")


def one_call_accuracy(network, puzzles, solutions):
    """One call's accuracy on the empty cells, its standard error, and the calls (one)."""
    return (*evaluation.one_call_accuracy(network, puzzles, solutions), 1.0)


def iterative_solve_rate(network, puzzles, solutions):
    """Share solved by iterative decoding with THRESHOLD, its standard error, mean calls."""
    result = iterative(network, puzzles, threshold=THRESHOLD)
    rate = float(result.solved.mean())
    return rate, evaluation.solve_rate_error(rate, len(puzzles)), float(result.calls.mean())


MEASURES = {"cells": one_call_accuracy, "solved": iterative_solve_rate}
LABELS = {"cells": "empty cells right after one call", "solved": "solved by iterative decoding"}


def table() -> None:
    results = json.loads(RESULTS.read_text())
    arms = [a for a in ARMS if any(r["arm"] == a for r in results)]
    at = {(r["arm"], r["set"], r["measure"], r["passes"]): r for r in results}
    for measure, label in LABELS.items():
        passes = sorted({r["passes"] for r in results if r["measure"] == measure})
        for name in SETS:
            if not any(k[1] == name and k[2] == measure for k in at):
                continue
            print(f"\n**{name}**, {label} (%, ± one standard error), by test-time passes:\n")
            print("| arm | trained passes | " + " | ".join(str(p) for p in passes) + " |")
            print("| --- | --- |" + " ---: |" * len(passes))
            for arm in arms:
                cells = [f"{100 * r['value']:.1f} ± {100 * r['stderr']:.1f}"
                         if (r := at.get((arm, name, measure, p))) else "" for p in passes]
                print(f"| {arm} | {trained_passes(arm)} | " + " | ".join(cells) + " |")
        sets = [n for n in SETS if any(k[1] == n and k[2] == measure for k in at)]
        series = {f"{arm}, {name}": [(p, r["value"], r["stderr"]) for p in passes
                                     if (r := at.get((arm, name, measure, p)))]
                  for name in sets for arm in arms}
        CURVES[measure].write_text(line_chart_svg(series, "test-time passes", label, log_x=True,
                                                  groups=len(sets)))


def trained_passes(arm: str) -> str:
    cfg = config(arm)
    grad = cfg.grad_passes or cfg.passes
    lo, hi = cfg.free_passes
    if hi == 0:
        return f"{grad}"
    total = f"{lo + grad}" if lo == hi else f"{lo + grad}-{hi + grad}"
    return f"{total} ({grad} graded)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["train", "score", "table"])
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    parser.add_argument("--cpu-minutes", type=float, default=24.0)
    parser.add_argument("--passes", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32, 64],
                        help="pass counts for one call's cell accuracy")
    parser.add_argument("--solve-passes", type=int, nargs="+", default=[2, 8, 32],
                        help="pass counts for iterative decoding's solve rate")
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args(argv)
    if args.command == "train":
        train(args.arms, args.cpu_minutes)
    elif args.command == "score":
        score(args.arms, args.passes, args.solve_passes, args.limit)
    else:
        table()
    return 0


if __name__ == "__main__":
    sys.exit(main())
