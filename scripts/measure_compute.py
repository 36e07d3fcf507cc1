"""What more test-time compute buys: thinking longer (passes) and wider (trajectories).

depth: for each model, one network call's accuracy on the empty cells and iterative
decoding's solve rate (one symmetry) at 1x, 2x, 4x, 8x and 16x the passes it was trained
with (the solve rate only at --solve-multiples, as it costs a call per step), on the
fixed test sets. A model that learned to keep improving holds or rises with more
passes; one that did not falls past its trained depth.

breadth: for each model, iterative decoding's solve rate with K trajectories of M
averaged symmetries each ("KxM": 8x1 is eight single-symmetry trajectories, 1x8 one
trajectory averaged over eight, 2x4 two groups of four), `wave` at a time, at the
model's trained passes. Network compute is counted in board-passes (boards x passes,
symmetry variants included) per puzzle, so arms compare at equal compute.

Iterative decoding fills every legal cell at least --threshold sure in one call (the
same for every model, default 0.99), and always at least one.

Every rate comes with one standard error. Results accumulate in one JSON file (a
measurement already there is skipped), and `table` prints Markdown tables and draws SVG
curves beside it.

Usage:
    python scripts/measure_compute.py depth --model v9=models/default.npz --model v12=runs/v12/v12.npz
    python scripts/measure_compute.py breadth --model v9=models/default.npz --arms 1x8 8x1 2x4 16x1
    python scripts/measure_compute.py table
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from sudoku_tf import evaluation
from sudoku_tf.board import read_boards
from sudoku_tf.decode import Refining, SymmetryAveraged, iterative
from sudoku_tf.models import load_model
from sudoku_tf.report.charts import line_chart_svg

RESULTS = Path("reports/compute/results.json")
SETS = {"21 givens": "data/test_21.csv", "22 givens": "data/test_17-22.csv",
        "23-27 givens": "data/test_23-27.csv", "expert": "data/test_expert.csv"}
LABELS = {"cells": "empty cells right after one call", "solved": "solved by iterative decoding"}


def depth(models: dict, sets: list[str], multiples: list[int], solve_multiples: list[int],
          limit: int, solve_limit: int, threshold: float, results: list) -> None:
    """One call's cell accuracy and iterative's solve rate at multiples of the trained passes."""
    for name, path in models.items():
        model = load_model(path)
        trained = model.network.config()["n_loops"]
        for set_name in sets:
            puzzles, solutions = read_boards(SETS[set_name])
            for multiple in multiples:
                network = Refining(model.network, trained * multiple)
                key = dict(kind="depth", model=name, set=set_name, passes=trained * multiple,
                           multiple=multiple)
                _measure(results, {**key, "measure": "cells"}, lambda: _cells(
                    network, puzzles[:limit], solutions[:limit]))
                if multiple not in solve_multiples:
                    continue
                _measure(results, {**key, "measure": "solved"}, lambda: _solved(
                    network, puzzles[:solve_limit], solutions[:solve_limit], threshold, 1, None))


def breadth(models: dict, sets: list[str], arms: list[str], wave: int | None, limit: int,
            threshold: float, results: list) -> None:
    """Iterative decoding's solve rate for each arm KxM (K trajectories of M symmetries)."""
    for name, path in models.items():
        model = load_model(path)
        for set_name in sets:
            puzzles, solutions = (a[:limit] for a in read_boards(SETS[set_name]))
            for arm in arms:
                K, M = (int(v) for v in arm.split("x"))
                refining = Refining(model.network)
                network = SymmetryAveraged(refining, M) if M > 1 else refining
                key = dict(kind="breadth", model=name, set=set_name, arm=arm, wave=wave or K,
                           measure="solved")
                _measure(results, key, lambda: _solved(network, puzzles, solutions, threshold,
                                                       K, wave, refining))


def _measure(results: list, key: dict, run) -> None:
    """Runs one measurement unless results already hold it; saves after each."""
    if any(all(r.get(k) == v for k, v in key.items()) for r in results):
        return
    start = time.perf_counter()
    record = {**key, **run(), "seconds": round(time.perf_counter() - start, 1)}
    results.append(record)
    print(json.dumps(record), file=sys.stderr)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")


def _cells(network, puzzles, solutions) -> dict:
    value, error = evaluation.one_call_accuracy(network, puzzles, solutions)
    return {"puzzles": len(puzzles), "value": value, "stderr": error}


def _solved(network, puzzles, solutions, threshold, trajectories, wave, refining=None) -> dict:
    """Solve rate (a puzzle counts when its grid is the solution), its error, and costs."""
    refining = refining or network
    before = refining.board_passes
    out = iterative(network, puzzles, threshold=threshold, trajectories=trajectories, wave=wave)
    rate = float((out.boards == solutions).all(1).mean())
    return {"puzzles": len(puzzles), "value": rate,
            "stderr": evaluation.solve_rate_error(rate, len(puzzles)),
            "mean_calls": float(out.calls.mean()),
            "mean_trajectories": float(out.trajectories.mean()),
            "board_passes": (refining.board_passes - before) / len(puzzles)}


def table(results: list) -> None:
    """Markdown tables of both measurements, and an SVG curve per depth measure."""
    depth_rows = [r for r in results if r["kind"] == "depth"]
    for measure, label in LABELS.items():
        rows = [r for r in depth_rows if r["measure"] == measure]
        if not rows:
            continue
        multiples = sorted({r["multiple"] for r in rows})
        print(f"\n{label} (%, ± one standard error), by multiples of the trained passes:\n")
        print("| model | set | puzzles | " + " | ".join(f"{m}x" for m in multiples) + " |")
        print("| --- | --- | ---: |" + " ---: |" * len(multiples))
        at = {(r["model"], r["set"], r["multiple"]): r for r in rows}
        series = {}
        for model, set_name in dict.fromkeys((r["model"], r["set"]) for r in rows):
            cells = [f"{100 * r['value']:.1f} ± {100 * r['stderr']:.1f}"
                     if (r := at.get((model, set_name, m))) else "" for m in multiples]
            n = next(r["puzzles"] for r in rows if (r["model"], r["set"]) == (model, set_name))
            print(f"| {model} | {set_name} | {n} | " + " | ".join(cells) + " |")
            series[f"{model}, {set_name}"] = [(m, r["value"], r["stderr"]) for m in multiples
                                              if (r := at.get((model, set_name, m)))]
        chart = RESULTS.with_name(f"depth_{measure}.svg")
        chart.write_text(line_chart_svg(series, "multiple of the trained passes", label,
                                        log_x=True))
    breadth_rows = [r for r in results if r["kind"] == "breadth"]
    if breadth_rows:
        print("\nsolved by iterative decoding (%, ± one standard error); compute in board-passes "
              "per puzzle:\n")
        print("| model | set | arm (trajectories x symmetries) | wave | puzzles | solved | "
              "trajectories used | calls | compute | seconds |")
        print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in breadth_rows:
            print(f"| {r['model']} | {r['set']} | {r['arm']} | {r['wave']} | {r['puzzles']} | "
                  f"{100 * r['value']:.1f} ± {100 * r['stderr']:.1f} | "
                  f"{r['mean_trajectories']:.2f} | {r['mean_calls']:.1f} | "
                  f"{r['board_passes']:.0f} | {r['seconds']:.0f} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["depth", "breadth", "table"])
    parser.add_argument("--model", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--sets", nargs="+", default=["22 givens", "expert"], choices=list(SETS))
    parser.add_argument("--multiples", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--solve-multiples", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--threshold", type=float, default=0.99,
                        help="iterative decoding fills every legal cell this sure in one call")
    parser.add_argument("--arms", nargs="+", default=["1x8", "8x1", "2x4", "16x1"])
    parser.add_argument("--wave", type=int, help="trajectories at once (default: all of an arm's)")
    parser.add_argument("--limit", type=int, default=1000, help="puzzles per set")
    parser.add_argument("--solve-limit", type=int, default=200,
                        help="puzzles per set for depth's solve rate (it costs many calls)")
    args = parser.parse_args(argv)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    models = dict(m.split("=", 1) for m in args.model)
    if args.command == "depth":
        depth(models, args.sets, args.multiples, args.solve_multiples, args.limit,
              args.solve_limit, args.threshold, results)
    elif args.command == "breadth":
        breadth(models, args.sets, args.arms, args.wave, args.limit, args.threshold, results)
    else:
        table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
