"""Decoded puzzles and evaluations as the command line shows them: one JSON-ready record
per puzzle, a puzzle's result in each `solve --format`, solve's summary line, and the
evaluation table. Nothing here decodes or measures.
"""

from __future__ import annotations

import json

import numpy as np

from .board import cell_name, format_grid, format_line
from .result import DecodeResult
from .solver import count_solutions


def fill_trace(result: DecodeResult, k: int) -> list[dict]:
    """The cells puzzle k got, in the order they were filled (surest first within a step)."""
    cells = np.flatnonzero(result.order[k] >= 0)
    cells = cells[np.lexsort((-result.confidence[k, cells], result.order[k, cells]))]
    return [{"step": int(result.order[k, i]), "cell": cell_name(int(i)),
             "digit": int(result.boards[k, i]),
             "confidence": round(float(result.confidence[k, i]), 4)}
            for i in cells]


def records(puzzles: np.ndarray, result: DecodeResult, trace: bool = False) -> list[dict]:
    """One JSON-ready dict per puzzle: the puzzle, the decoded board, the solution (None
    unless solved), whether it is the only one (`unique`, from the exact solver), network
    calls, and what the strategy adds (backtracks, a proof of no solution, whether the
    network solved it alone and how many cells it filled, with `trace` the fill order)."""
    out = []
    for k, puzzle in enumerate(puzzles):
        board = format_line(result.boards[k])
        record = {"index": k + 1, "puzzle": format_line(puzzle), "solved": bool(result.solved[k]),
                  "solution": board if result.solved[k] else None, "board": board,
                  "unique": count_solutions(puzzle, limit=2) == 1,
                  "calls": int(result.calls[k])}
        if result.backtracks is not None:
            record["backtracks"] = int(result.backtracks[k])
            record["no_solution"] = bool(result.no_solution[k])
        if result.trajectories is not None:
            record["trajectories"] = int(result.trajectories[k])
        if result.network_solved is not None:
            record["network_solved"] = bool(result.network_solved[k])
            record["network_cells"] = int(result.network_placed[k].sum())
        if trace:
            record["trace"] = fill_trace(result, k)
        out.append(record)
    return out


def format_solved(record: dict, puzzle, board, fmt: str, color: bool, searched=None) -> str:
    """One puzzle's result as text in the chosen --format; `searched` (81,) bool marks the
    cells a search filled."""
    if fmt == "json":
        return json.dumps(record)
    lines = [" ".join([record["board"], *_marks(record)])]
    if fmt == "grid":
        work = [f"{record['calls']} network call{'s' * (record['calls'] != 1)}"]
        if "backtracks" in record and not record.get("network_solved"):
            work.append(f"{record['backtracks']} backtracks")
        status = ("no solution" if record.get("no_solution") else
                  "not solved" if not record["solved"] else
                  "solved" if "network_solved" not in record else
                  "solved by the network" if record["network_solved"] else
                  "solved, the search finished it")
        if record["solved"] and not record["unique"]:
            status += "; not unique: this is one of its solutions"
        lines = [f"puzzle {record['index']}: {status} ({', '.join(work)})",
                 format_grid(board, puzzle, color, searched)]
    if "trace" in record:
        lines.append("  step  cell   digit  confidence")
        lines += [f"  {t['step']:>4}  {t['cell']:<5}  {t['digit']:>5}  {t['confidence']:>10.3f}"
                  for t in record["trace"]]
    return "\n".join(lines) + ("\n" if fmt == "grid" else "")


def _marks(record: dict) -> list[str]:
    """What a --format line result says after its 81 digits, if anything: whether it is
    no solution, or a solution of a puzzle with others."""
    if not record["solved"]:
        return ["no solution" if record.get("no_solution") else "not solved"]
    return [] if record["unique"] else ["not unique"]


def solve_summary(result: DecodeResult, strategy: str, seconds: float, symmetries: int,
                  mean_passes: float, trajectories: int = 1) -> str:
    """The line `solve` ends with: how many were solved, how fast, and at what cost."""
    alone = ("" if result.network_solved is None else
             f"the network alone solved {int(result.network_solved.sum())}; ")
    averaged = f", averaged over {symmetries} symmetries" if symmetries > 1 else ""
    if trajectories > 1 and result.trajectories is not None:
        averaged += f", {result.trajectories.mean():.1f} trajectories per puzzle"
    return (f"solved {int(result.solved.sum())} of {len(result.solved)} puzzles with {strategy} "
            f"in {seconds:.2f} s ({alone}{result.calls.mean():.1f} network calls per puzzle, "
            f"{mean_passes:.1f} passes per call{averaged})")


def format_eval(report: dict) -> str:
    """The evaluation as a table: all puzzles, then one row per range of givens."""
    head = (f"{'set':<7}{'puzzles':>8}{'solved':>9}{'cell acc':>10}{'mean calls':>12}"
            f"{'median calls':>14}{'puzzles/s':>11}")
    averaged = f", {report['symmetries']} symmetries" if report["symmetries"] > 1 else ""
    if report.get("trajectories", 1) > 1 and "mean_trajectories" in report:
        averaged += (f", up to {report['trajectories']} trajectories "
                     f"({report['mean_trajectories']:.2f} on average)")
    passes = (f", up to {report['passes']} passes per call ({report['mean_passes']:.1f} on average)"
              if report["halt_after"] or report["confident"] else f", {report['passes']} passes per call")
    rows = [f"{report['file']}: {report['strategy']} with {report['model']}{averaged}{passes}", head]
    for label, r in [("all", report), *((b["givens"], b) for b in report["by_givens"]),
                     *((b["difficulty"], b) for b in report.get("by_difficulty", []))]:
        speed = f"{r['puzzles_per_second']:>11.1f}" if "puzzles_per_second" in r else ""
        rows.append(f"{label:<7}{r['puzzles']:>8}{r['solve_rate']:>9.1%}{r['cell_accuracy']:>10.1%}"
                    f"{r['mean_calls']:>12.2f}{r['median_calls']:>14.1f}{speed}")
    return "\n".join(rows)
