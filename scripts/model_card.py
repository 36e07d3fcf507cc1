"""Charts and measurements quoted by the model card (models/README.md).

    python scripts/model_card.py curves     # training curves of every run, from their logs
    python scripts/model_card.py passes --model models/default.npz [--limit 200] [--results DIR]
                                        [--chart models/charts/passes.svg]
    python scripts/model_card.py table [--results models/results]   # Markdown results tables
    python scripts/model_card.py compare models/results-v8 models/results --names v8 v9

`curves` draws the evaluations the trainer logged (cell accuracy after one call and the
iterative solve rate on 256 held-out boards) against the total steps the weights have
seen, each run continuing the steps of the run it started from.

`table` prints the results tables of the card from the JSON files that
scripts/evaluate_model.sh writes: one row per test set, and one per difficulty label,
with a column for each way of decoding that has results.

`compare` prints one row per test set with two models' results side by side (results
folders as `table` reads them): cell accuracy after one call, and the solve rate of the
plain network and at default settings, each change with one standard error.

`passes` measures the plain network (no symmetries) at several test-time pass counts on
the test sets: the accuracy of one call on the empty cells (all 1,000 puzzles) and the
solve rate of iterative decoding, one cell per call (the first --limit puzzles, as it
costs one call per empty cell), each with one standard error. Pass counts already in
the results file (DIR/passes.json, default models/results) are skipped, so a stopped run
continues. `--solve-counts` with no counts measures one-call accuracy alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sudoku_tf.board import read_boards
from sudoku_tf.decode import Refining, iterative
from sudoku_tf.evaluation import one_call_accuracy, solve_rate_error
from sudoku_tf.models import load_model
from sudoku_tf.report.charts import line_chart_svg

# run name -> (its log, the steps its starting weights had already seen)
RUNS = {"v1": ("models/default.log.jsonl", 0), "v2": ("models/v2.log.jsonl", 18000),
        "v3": ("models/v3.log.jsonl", 26000), "v4": ("models/v4.log.jsonl", 33000),
        "v5": ("models/v5.log.jsonl", 40000), "v6": ("models/v6.log.jsonl", 46000),
        "v7": ("models/v7.log.jsonl", 52500), "v8": ("models/v8.log.jsonl", 58500),
        "v9": ("models/v9.log.jsonl", 63500)}
SETS = {"22 givens": "data/test_17-22.csv", "23-27 givens": "data/test_23-27.csv",
        "expert": "data/test_expert.csv"}
CHARTS = Path("models/charts")


def curves() -> None:
    series = {}
    for run, (log, offset) in RUNS.items():
        if not Path(log).exists():
            continue
        evals = [e for e in map(json.loads, Path(log).read_text().splitlines()) if "step" in e]
        series[f"{run}: cell accuracy"] = [(offset + e["step"], e["cell_accuracy"], 0.0)
                                           for e in evals]
        series[f"{run}: solved"] = [(offset + e["step"], e["solve_rate"],
                                     solve_rate_error(e["solve_rate"], e["puzzles"]))
                                    for e in evals]
    CHARTS.mkdir(parents=True, exist_ok=True)
    path = CHARTS / "training.svg"
    path.write_text(line_chart_svg(series, "training steps (all runs)", "held-out boards",
                                   y_range=(0.5, 1.0), groups=len(series) // 2))
    print(f"wrote {path}", file=sys.stderr)


def passes(model_path: str, counts: list[int], solve_counts: list[int], limit: int,
           folder: Path, chart: Path) -> None:
    model = load_model(model_path).network
    saved = folder / "passes.json"
    results = json.loads(saved.read_text()) if saved.exists() else []
    done = {(r["set"], r["measure"], r["passes"]) for r in results}
    for name, path in SETS.items():
        puzzles, solutions = read_boards(path)
        jobs = [("cells", p) for p in counts] + [("solved", p) for p in solve_counts]
        for measure, p in jobs:
            if (name, measure, p) in done:
                continue
            network = Refining(model, p)
            if measure == "cells":
                value, error = one_call_accuracy(network, puzzles, solutions)
                n = len(puzzles)
            else:
                solved = iterative(network, puzzles[:limit]).solved
                n = len(solved)
                value = float(solved.mean())
                error = solve_rate_error(value, n)
            results.append({"model": model_path, "set": name, "measure": measure, "passes": p,
                            "puzzles": n, "value": value, "stderr": error})
            print(f"{name:>13} {measure:>6} at {p:>2} passes: {value:.3f} ± {error:.3f}",
                  file=sys.stderr)
            folder.mkdir(parents=True, exist_ok=True)
            saved.write_text(json.dumps(results, indent=1) + "\n")
    series = {f"{r_measure}, {name}": [(r["passes"], r["value"], r["stderr"]) for r in results
                                       if r["set"] == name and r["measure"] == r_measure]
              for r_measure in ("cells", "solved") for name in SETS}
    chart.parent.mkdir(parents=True, exist_ok=True)
    chart.write_text(line_chart_svg({k: v for k, v in series.items() if v},
                                    "test-time passes per call", "cells right / solved",
                                    log_x=True, groups=2))
    print(f"wrote {chart}", file=sys.stderr)


TABLE_SETS = {"36-45": "36–45 givens", "28-35": "28–35 givens", "23-27": "23–27 givens",
              "17-22": "22 givens", "21": "21 givens", "expert": "expert-rated (21–30 givens)"}
# evaluate_model.sh's rows: file kind -> how the card names it
ITERATIVE_KINDS = {"iterative": "plain", "iterative-x4": "×4 symmetries",
                   "iterative-default": "default settings"}
SEARCH_KINDS = {"search": "plain", "search-default": "default settings"}


def _load(folder: Path, kind: str, name: str) -> dict | None:
    """evaluate_model.sh's report of one row kind on one set, or None if not run."""
    path = folder / f"{kind}_{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def table(folder: Path) -> None:
    """The results table (one row per set) and the by-difficulty table, with a column
    for each of evaluate_model.sh's rows that has results in `folder`."""
    results = {(kind, name): _load(folder, kind, name)
               for kind in (*ITERATIVE_KINDS, *SEARCH_KINDS) for name in TABLE_SETS}
    present = [k for k in (*ITERATIVE_KINDS, *SEARCH_KINDS)
               if any(results[k, name] for name in TABLE_SETS)]
    iterative = [k for k in ITERATIVE_KINDS if k in present]
    search = [k for k in SEARCH_KINDS if k in present]
    header = ["set", "puzzles", "cell accuracy, one call"]
    header += [f"{what}, iterative, {ITERATIVE_KINDS[k]}" for k in iterative
               for what in ("solved", "puzzles/s")]
    header += [f"{what}, search, {SEARCH_KINDS[k]}" for k in search for what in ("solved", "calls")]
    print("| " + " | ".join(header) + " |")
    print("| --- |" + " ---: |" * (len(header) - 1))
    for name, label in TABLE_SETS.items():
        first = next((results[k, name] for k in present if results[k, name]), None)
        if first is None:
            continue
        cells = [label, f"{first['puzzles']:,}", _pct(results.get(("iterative", name)), "cell_accuracy")]
        for k in iterative:
            cells += [_pct(results[k, name]), _num(results[k, name], "puzzles_per_second")]
        for k in search:
            cells += [_pct(results[k, name]), _num(results[k, name], "mean_calls", ".2f")]
        print("| " + " | ".join(cells) + " |")
    tallies = {}                           # (label, kind) -> puzzles, solved, cells right
    for (kind, _), report in results.items():
        for row in (report or {}).get("by_difficulty", []):
            tally = tallies.setdefault((row["difficulty"], kind), [0, 0.0, 0.0])
            tally[0] += row["puzzles"]
            tally[1] += row["solve_rate"] * row["puzzles"]
            tally[2] += row["cell_accuracy"] * row["puzzles"]   # weighted by puzzles
    if not tallies:
        return
    print("\n| difficulty | puzzles | cell accuracy, one call | "
          + " | ".join(f"solved, iterative, {ITERATIVE_KINDS[k]}" for k in iterative) + " |")
    print("| --- |" + " ---: |" * (2 + len(iterative)))
    for label in ("easy", "medium", "hard", "expert"):
        plain = tallies.get((label, "iterative"))
        if plain is None:
            continue
        cells = [label, f"{plain[0]:,}", f"{100 * plain[2] / plain[0]:.1f} %"]
        for k in iterative:
            t = tallies.get((label, k))
            share = "" if t is None or t[0] == plain[0] else f" (of {t[0]:,})"
            cells.append("" if t is None else f"{100 * t[1] / t[0]:.1f} %{share}")
        print("| " + " | ".join(cells) + " |")


def compare(old: Path, new: Path, names: tuple[str, str]) -> None:
    """Two results folders side by side, with the change in solve rate and its error."""
    a, b = names
    rows = {"iterative": ITERATIVE_KINDS["iterative"],
            "iterative-default": ITERATIVE_KINDS["iterative-default"]}
    header = ["set", f"cell accuracy, {a} → {b}"]
    for label in rows.values():
        header += [f"solved {label}, {a} → {b}", "change (± one standard error)"]
    print("| " + " | ".join(header) + " |")
    print("| --- |" + " ---: |" * (len(header) - 1))
    for name, set_label in TABLE_SETS.items():
        pairs = {kind: (_load(old, kind, name), _load(new, kind, name)) for kind in rows}
        if not any(x and y for x, y in pairs.values()):
            continue
        x, y = pairs["iterative"]
        cells = [set_label, f"{100 * x['cell_accuracy']:.1f} → {_pct(y, 'cell_accuracy')}"
                 if x and y else ""]
        for x, y in pairs.values():
            if not (x and y):
                cells += ["", ""]
                continue
            error = (solve_rate_error(x["solve_rate"], x["puzzles"]) ** 2
                     + solve_rate_error(y["solve_rate"], y["puzzles"]) ** 2) ** 0.5
            cells += [f"{100 * x['solve_rate']:.1f} → {_pct(y)}",
                      f"{100 * (y['solve_rate'] - x['solve_rate']):+.1f} ± {100 * error:.1f}"]
        print("| " + " | ".join(cells) + " |")


def _pct(report: dict | None, key: str = "solve_rate") -> str:
    return "" if report is None else f"{100 * report[key]:.1f} %"


def _num(report: dict | None, key: str, spec: str = ".1f") -> str:
    return "" if report is None else f"{report[key]:{spec}}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("curves")
    sub.add_parser("table").add_argument("--results", type=Path, default=Path("models/results"))
    p = sub.add_parser("compare")
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    p.add_argument("--names", nargs=2, default=("before", "after"))
    p = sub.add_parser("passes")
    p.add_argument("--model", default="models/default.npz")
    p.add_argument("--counts", type=int, nargs="+", default=[1, 2, 3, 4, 6, 8])
    p.add_argument("--solve-counts", type=int, nargs="*", default=[1, 2, 3, 4])
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--results", type=Path, default=Path("models/results"))
    p.add_argument("--chart", type=Path, default=CHARTS / "passes.svg")
    args = parser.parse_args(argv)
    if args.command == "curves":
        curves()
    elif args.command == "table":
        table(args.results)
    elif args.command == "compare":
        compare(args.old, args.new, tuple(args.names))
    else:
        passes(args.model, args.counts, args.solve_counts, args.limit, args.results,
               args.chart)
    return 0


if __name__ == "__main__":
    sys.exit(main())
