"""The results table behind the model card, and the card's tables generated from it.

    python scripts/model_card.py                   # rewrite the generated tables
    python scripts/model_card.py --check           # exit 1 if a generated table is stale
    python scripts/model_card.py add v12 runs/eval/*.json [--experiment NAME]
    python scripts/model_card.py passes --model models/default.npz --name v9 [--limit 200]
    python scripts/model_card.py curves            # models/charts/training.svg

`models/results.csv` holds every measurement the card and the docs quote, one row per
model, test set and way of decoding (and per difficulty label, `subset`). `add` appends
the JSON reports that `sudoku-tf eval --json` (or `scripts/evaluate_model.sh`) wrote, one
file per set named RUN_SET.json (`iterative-default_23-27.json`: the model's own
settings on data/test_23-27.csv), replacing rows of the same model, run and set.

Markdown files carry generated tables between a marker and `<!-- end table -->`:
`<!-- table: sets v9 -->` (one row per test set), `<!-- table: difficulty v9 -->`,
`<!-- table: public v9 -->` (the small public sets) and `<!-- table: history -->` (every
model on three sets). Running the script with no command rewrites them from the CSV, so
a new default model is: evaluate it, `add` its reports, change the markers' model name.

`passes` measures the plain network at several test-time pass counts: the accuracy of
one call on the empty cells and the solve rate of iterative decoding one cell per call
(the first --limit puzzles), appended as rows of runs `passes-cells` and `passes-solved`.
`curves` draws the evaluations the trainer logged for each phase, read from the commit
that holds the logs (they left the tree), against the total steps the weights had seen.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "models" / "results.csv"
DOCUMENTS = [ROOT / "README.md", ROOT / "models" / "README.md", ROOT / "docs" / "experiments.md",
             ROOT / "docs" / "training.md"]
COLUMNS = ["model", "set", "subset", "run", "strategy", "symmetries", "passes", "threshold",
           "confident", "halt_after", "search_symmetries", "search_threshold", "puzzles",
           "solved", "solve_rate", "stderr", "cell_accuracy", "oneshot_solve_rate",
           "mean_calls", "median_calls", "mean_backtracks", "max_backtracks", "seconds",
           "puzzles_per_second", "other"]
REPORT_KEYS = {"file", "model", "by_givens", "by_difficulty"}   # not measurements of the row
SETS = {"36-45": "36–45 givens", "28-35": "28–35 givens", "23-27": "23–27 givens",
        "17-22": "22 givens", "21": "21 givens", "expert": "expert-rated (21–30 givens)"}
PUBLIC = {"norvig_easy50": "Norvig easy50", "norvig_hardest": "Norvig hardest"}
DIFFICULTIES = ("easy", "medium", "hard", "expert")
MARKER = re.compile(r"(<!-- table: ([\w-]+)(?: ([\w.-]+))? -->\n)(.*?)(<!-- end table -->)",
                    re.S)
# the phases' training logs, removed from the tree after this commit
LOGS_COMMIT = "1ef29d7"
RUNS = {"v1": ("models/default.log.jsonl", 0), "v2": ("models/v2.log.jsonl", 18000),
        "v3": ("models/v3.log.jsonl", 26000), "v4": ("models/v4.log.jsonl", 33000),
        "v5": ("models/v5.log.jsonl", 40000), "v6": ("models/v6.log.jsonl", 46000),
        "v7": ("models/v7.log.jsonl", 52500), "v8": ("models/v8.log.jsonl", 58500),
        "v9": ("models/v9.log.jsonl", 63500)}
PASS_RUNS = ("passes-cells", "passes-solved")
PASS_SETS = {"22 givens": "data/test_17-22.csv", "23-27 givens": "data/test_23-27.csv",
             "expert": "data/test_expert.csv"}


# --- the table ---------------------------------------------------------------------------

def read_rows(path: Path = RESULTS) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_rows(rows: list[dict], path: Path = RESULTS) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue())


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def report_rows(model: str, run: str, name: str, report: dict) -> list[dict]:
    """The CSV rows of one `eval --json` report: the whole set, then each difficulty."""
    settings = {k: _cell(report.get(k)) for k in COLUMNS[4:12]}
    # anything else the report holds (a setting added later), as JSON, so no field is lost
    other = {k: v for k, v in report.items() if k not in COLUMNS and k not in REPORT_KEYS}
    rows = []
    for subset, part in [("", report)] + [(f"difficulty={d['difficulty']}", d)
                                          for d in report.get("by_difficulty", [])]:
        n, rate = part["puzzles"], part["solve_rate"]
        rows.append({**settings, "model": model, "set": name, "subset": subset, "run": run,
                     "puzzles": n, "solved": round(rate * n), "solve_rate": _cell(rate),
                     "stderr": _cell((rate * (1 - rate) / n) ** 0.5),
                     **{k: _cell(part.get(k)) for k in COLUMNS[16:-1]},
                     "other": json.dumps(other, sort_keys=True) if other and part is report else ""})
    return rows


def passes_rows(model: str, records: list[dict]) -> list[dict]:
    """CSV rows of test-time pass measurements (one-call accuracy or one-cell solving)."""
    rows = []
    for r in records:
        row = dict.fromkeys(COLUMNS, "")
        name = Path(PASS_SETS.get(r["set"], r["set"])).stem.removeprefix("test_")
        row.update(model=model, set=name,
                   run=f"passes-{r['measure']}", passes=r["passes"], symmetries=1,
                   puzzles=r["puzzles"], stderr=_cell(r["stderr"]))
        if r["measure"] == "cells":
            row.update(strategy="oneshot", cell_accuracy=_cell(r["value"]))
        else:
            row.update(strategy="iterative", solve_rate=_cell(r["value"]),
                       solved=round(r["value"] * r["puzzles"]))
        rows.append(row)
    return rows


def add(model: str, files: list[Path], experiment: str | None) -> None:
    """Fold eval reports (RUN_SET.json) into the table, replacing rows they re-measure."""
    new = []
    for path in files:
        report = json.loads(path.read_text())
        run, _, name = path.stem.partition("_")
        run = f"{experiment}/{run}" if experiment else run
        if isinstance(report, list):
            new += passes_rows(model, report)
        else:
            new += report_rows(model, run, name, report)
    merge(new)
    print(f"{RESULTS.relative_to(ROOT)}: {len(new)} rows of {model}", file=sys.stderr)


def _key(row: dict) -> tuple:
    """What a row measures: a new measurement of the same replaces it (all its subsets)."""
    return (row["model"], row["run"], row["set"],
            row["passes"] if row["run"] in PASS_RUNS else "")


def merge(new: list[dict]) -> None:
    keys = {_key(r) for r in new}
    write_rows([r for r in read_rows() if _key(r) not in keys] + new)


# --- generated Markdown tables ------------------------------------------------------------

def _find(rows: list[dict], model: str, run: str, name: str, subset: str = "") -> dict | None:
    return next((r for r in rows if (r["model"], r["run"], r["set"], r["subset"])
                 == (model, run, name, subset)), None)


def _rate(row: dict | None) -> str:
    """A solve rate with one standard error, in percent."""
    if row is None:
        return ""
    return f"{100 * float(row['solve_rate']):.1f} ± {100 * float(row['stderr']):.1f} %"


def _pct(row: dict | None, key: str) -> str:
    return "" if row is None or not row[key] else f"{100 * float(row[key]):.1f} %"


def _num(row: dict | None, key: str, spec: str = ".1f") -> str:
    return "" if row is None or not row[key] else f"{float(row[key]):{spec}}"


def _markdown(header: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    return "\n".join(lines + ["| " + " | ".join(cells) + " |" for cells in body]) + "\n"


def table_sets(rows: list[dict], model: str) -> str:
    """One row per test set: the model's own settings (and the trajectories a puzzle
    used), the plain network, one trajectory averaged over 8 symmetries, and search."""
    body = []
    for name, label in SETS.items():
        own = _find(rows, model, "iterative-default", name)
        plain = _find(rows, model, "iterative", name)
        averaged = _find(rows, model, "iterative-x8", name)
        search = _find(rows, model, "search-default", name) or _find(rows, model, "search", name)
        first = own or plain or search
        if first is None:
            continue
        body.append([label, f"{int(first['puzzles']):,}", _rate(own), _trajectories(own),
                     _num(own, "mean_calls"), _num(own, "puzzles_per_second"), _rate(plain),
                     _rate(averaged), _rate(search), _num(search, "mean_calls", ".2f")])
    return _markdown(["test set", "puzzles", "solved (its settings)", "trajectories used",
                      "calls", "puzzles/s", "solved (plain network)",
                      "solved (1 trajectory, 8 symmetries averaged)", "solved (search)",
                      "search calls"], body)


def _trajectories(row: dict | None) -> str:
    """The mean trajectories a puzzle used, from a row's other fields (1 without them)."""
    if row is None:
        return ""
    other = json.loads(row["other"]) if row["other"] else {}
    return f"{other.get('mean_trajectories', 1.0):.2f}"


def table_difficulty(rows: list[dict], model: str) -> str:
    """By difficulty label, the six test sets together: solved counts summed over sets."""
    body = []
    for label in DIFFICULTIES:
        cells, total = [label], None
        for run in ("iterative-default", "iterative"):
            parts = [r for name in SETS if (r := _find(rows, model, run, name,
                                                       f"difficulty={label}"))]
            n, solved = sum(int(r["puzzles"]) for r in parts), sum(int(r["solved"]) for r in parts)
            total = total or n
            cells.append(f"{100 * solved / n:.1f} % of {n:,}" if n else "")
        if total:
            body.append(cells)
    return _markdown(["difficulty", "solved (its settings)", "solved (plain network)"], body)


def table_public(rows: list[dict], model: str) -> str:
    """The small public sets: puzzles solved at its settings, plainly and by search."""
    def count(run, name):
        row = _find(rows, model, run, name)
        return "" if row is None else f"{row['solved']} of {row['puzzles']}"

    body = [[label, count("iterative-default", name), count("iterative", name),
             count("search-default", name) or count("search", name)]
            for name, label in PUBLIC.items() if _find(rows, model, "iterative-default", name)]
    return _markdown(["set", "solved (its settings)", "solved (plain network)",
                      "solved (search)"], body)


def table_history(rows: list[dict], model: str | None = None) -> str:
    """Every model on three sets: the plain network, and its own settings where measured."""
    models = sorted({r["model"] for r in rows if re.fullmatch(r"v\d+", r["model"])},
                    key=lambda m: int(m[1:]))
    body = []
    for m in models:
        cells = [m]
        for run in ("iterative", "iterative-default"):
            cells += [_rate(_find(rows, m, run, name)) for name in ("23-27", "17-22", "expert")]
        if any(cells[1:]):
            body.append(cells)
    return _markdown(["model"] + [f"{what}: {SETS[name]}" for what in ("plain", "own settings")
                                  for name in ("23-27", "17-22", "expert")], body)


TABLES = {"sets": table_sets, "difficulty": table_difficulty, "public": table_public,
          "history": table_history}


def render(text: str, rows: list[dict]) -> str:
    """`text` with every generated table rewritten from `rows`."""
    def fill(match: re.Match) -> str:
        kind, model = match.group(2), match.group(3)
        if kind not in TABLES:
            raise SystemExit(f"unknown table kind {kind!r} (one of {', '.join(TABLES)})")
        return match.group(1) + TABLES[kind](rows, model) + match.group(5)
    return MARKER.sub(fill, text)


def stale_documents(rows: list[dict]) -> list[Path]:
    return [p for p in DOCUMENTS if p.exists() and render(p.read_text(), rows) != p.read_text()]


def regenerate(check: bool) -> int:
    rows = read_rows()
    stale = stale_documents(rows)
    for path in stale:
        if check:
            print(f"{path.relative_to(ROOT)}: tables differ from {RESULTS.name}; "
                  f"run python scripts/model_card.py", file=sys.stderr)
        else:
            path.write_text(render(path.read_text(), rows))
            print(f"rewrote {path.relative_to(ROOT)}", file=sys.stderr)
    return 1 if check and stale else 0


# --- measurements and charts --------------------------------------------------------------

def passes(model_path: str, name: str, counts: list[int], solve_counts: list[int],
           limit: int) -> None:
    from sudoku_tf.board import read_boards
    from sudoku_tf.decode import Refining, iterative
    from sudoku_tf.models import load_model
    from sudoku_tf.evaluation import one_call_accuracy, solve_rate_error

    model = load_model(model_path).network
    records = []
    for set_name, path in PASS_SETS.items():
        puzzles, solutions = read_boards(path)
        for measure, p in [("cells", p) for p in counts] + [("solved", p) for p in solve_counts]:
            network = Refining(model, p)
            if measure == "cells":
                value, error = one_call_accuracy(network, puzzles, solutions)
                n = len(puzzles)
            else:
                solved = iterative(network, puzzles[:limit]).solved
                n, value = len(solved), float(solved.mean())
                error = solve_rate_error(value, n)
            records.append({"set": set_name, "measure": measure, "passes": p, "puzzles": n,
                            "value": value, "stderr": error})
            print(f"{set_name:>13} {measure:>6} at {p:>2} passes: {value:.3f} ± {error:.3f}",
                  file=sys.stderr)
    merge(passes_rows(name, records))


def curves() -> None:
    from sudoku_tf.report.charts import line_chart_svg
    from sudoku_tf.evaluation import solve_rate_error

    series = {}
    for run, (log, offset) in RUNS.items():
        text = subprocess.run(["git", "show", f"{LOGS_COMMIT}:{log}"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout
        evals = [e for e in map(json.loads, text.splitlines()) if "step" in e]
        series[f"{run}: cell accuracy"] = [(offset + e["step"], e["cell_accuracy"], 0.0)
                                           for e in evals]
        series[f"{run}: solved"] = [(offset + e["step"], e["solve_rate"],
                                     solve_rate_error(e["solve_rate"], e["puzzles"]))
                                    for e in evals]
    path = ROOT / "models" / "charts" / "training.svg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(line_chart_svg(series, "training steps (all runs)", "held-out boards",
                                   y_range=(0.5, 1.0), groups=len(series) // 2))
    print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a generated table differs from results.csv")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("add")
    p.add_argument("model")
    p.add_argument("files", type=Path, nargs="+")
    p.add_argument("--experiment")
    p = sub.add_parser("passes")
    p.add_argument("--model", default="models/default.npz")
    p.add_argument("--name", required=True, help="the model's name in results.csv")
    p.add_argument("--counts", type=int, nargs="+", default=[1, 2, 3, 4, 6, 8])
    p.add_argument("--solve-counts", type=int, nargs="*", default=[1, 2, 3, 4])
    p.add_argument("--limit", type=int, default=200)
    sub.add_parser("curves")
    args = parser.parse_args(argv)
    if args.command == "add":
        add(args.model, args.files, args.experiment)
    elif args.command == "passes":
        passes(args.model, args.name, args.counts, args.solve_counts, args.limit)
    elif args.command == "curves":
        curves()
    return regenerate(args.check)


if __name__ == "__main__":
    sys.exit(main())
