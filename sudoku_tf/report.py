"""The attention report of a Sudoku model: one self-contained HTML page (inline CSS, SVG
and a few lines of script; nothing fetched from anywhere) and the same numbers as JSON.

The numbers come from `attention`, the drawings from `charts`, the example puzzle's two
sections (pass by pass, decoding) from `report_example`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

import numpy as np

from . import __version__
from .attention import (CLASS_CHANCE, CLASSES, DOMINANCE, LABELS, LATE_FRACTION, LATE_PER_STEP,
                        MIN_MASS, SCORES, analyze, chance_levels, class_masses)
from .board import cell_name
from .charts import COLORS, class_bars_svg, head_svg, label_grid_svg
from .decode import Refining
from .report_example import decoding, pass_by_pass, plural
from .solver import solve

DEFAULT_CELL = 40          # r5c5, the centre: the query cell of the board overlays
RULE = (f"A head is labelled self, row, column or box when that score is at least {MIN_MASS:g} "
        f"and at least {DOMINANCE:g} times each of the other three; otherwise mixed.")


@dataclass
class Report:
    """The page and its numbers."""

    html: str
    data: dict


def build_report(model, puzzles: np.ndarray, solutions: np.ndarray | None = None,
                 model_name: str = "model", puzzles_name: str = "puzzles",
                 cell: int = DEFAULT_CELL, passes: int | None = None) -> Report:
    """Analyses every head in each of `passes` passes (default: the model's own) on
    puzzles (N, 81), shows the first one's answer after each pass and decodes it step by step."""
    puzzles = np.atleast_2d(puzzles).astype(np.int8)
    analysis = analyze(model, puzzles, passes=passes)
    config = {**model.config(), "n_loops": analysis.config["n_loops"]}
    data = {
        "model": {"file": model_name, "params": model.n_params(),
                  **{k: config[k] for k in ("d_model", "n_heads", "d_ff", "n_blocks", "n_loops",
                                            "norm")}},
        "puzzles": {"file": puzzles_name, "count": len(puzzles)},
        "chance": chance_levels(),
        "rule": {"min_mass": MIN_MASS, "dominance": DOMINANCE, "text": RULE},
        "late": {"fraction_filled": LATE_FRACTION, "cells_per_call": LATE_PER_STEP},
        "query_cell": cell_name(cell),
        "heads": analysis.heads(),
    }
    for record in data["heads"]:
        record["name"] = head_name(record, config["n_loops"])
    data["labels"] = {label: sum(h["label"] == label for h in data["heads"]) for label in LABELS}
    solution = solutions[0] if solutions is not None else solve(puzzles[0])
    data["pass_by_pass"], passes_html = pass_by_pass(model, puzzles[0], solution,
                                                     config["n_loops"])
    data["example"], example_html = decoding(Refining(model, config["n_loops"]), puzzles[0],
                                              solution)
    sections = [_summary(data, config["n_loops"]), _table(data), _blocks(data, analysis),
                _heads(data, analysis, cell), passes_html, example_html]
    return Report(_page(data, sections), data)


def parse_cell(text: str) -> int:
    """'r5c5' (row and column 1-9) -> cell index 40; ValueError for anything else."""
    match = re.fullmatch(r"r([1-9])c([1-9])", text.strip().lower())
    if not match:
        raise ValueError(f"a cell is written r1c1 to r9c9, not {text!r}")
    return (int(match[1]) - 1) * 9 + int(match[2]) - 1


def layer_name(record: dict, n_loops: int) -> str:
    """'b2' (block 2), or 'p1.b2' with its pass when the blocks loop."""
    block = f"b{record['block'] + 1}"
    return f"p{record['pass'] + 1}.{block}" if n_loops > 1 else block


def head_name(record: dict, n_loops: int) -> str:
    """'b2.h3' (block 2, head 3), or 'p1.b2.h3' with its pass when the blocks loop."""
    return f"{layer_name(record, n_loops)}.h{record['head'] + 1}"


def format_table(data: dict) -> str:
    """The per-head numbers of a report as a plain-text table."""
    lines = [f"{'head':<10}{'label':<8}" + "".join(f"{s:>8}" for s in SCORES)
             + f"{'entropy':>9}{'filled':>8}  late"]
    for h in data["heads"]:
        lines.append(f"{h['name']:<10}{h['label']:<8}"
                     + "".join(f"{h['scores'][s]:>8.3f}" for s in SCORES)
                     + f"{h['entropy_bits']:>9.2f}{h['filled_mass']:>8.3f}  {h['late']['label']}")
    chance = data["chance"]["scores"]
    lines.append(f"{'uniform':<18}" + "".join(f"{chance[s]:>8.3f}" for s in SCORES)
                 + f"{np.log2(81):>9.2f}")
    return "\n".join(lines)


# ------------------------------------------------------------------ sections

def _chip(label: str) -> str:
    return f'<span class="chip" style="--c:{COLORS[label]}">{escape(label)}</span>'


def _summary(data: dict, n_loops: int) -> str:
    counts = data["labels"]
    heads = data["heads"]
    special = len(heads) - counts["mixed"]
    chips = " ".join(f"{_chip(label)} {n}" for label, n in counts.items() if n)
    chance = data["chance"]["scores"]
    layers = list(dict.fromkeys(layer_name(h, n_loops) for h in heads))
    labels = np.array([h["label"] for h in heads]).reshape(len(layers), -1)
    leaders = np.array([max(SCORES[:4], key=h["scores"].get) for h in heads])   # the label
    strengths = np.array([h["scores"][lead] for h, lead in zip(heads, leaders)])  # unless mixed
    grid = label_grid_svg(layers, labels.tolist(), leaders.reshape(labels.shape).tolist(),
                          strengths.reshape(labels.shape))
    return f"""<section class="lead">
<p class="big">{special} of {len(heads)} heads specialise. {chips}</p>
<figure class="overview">{grid}<figcaption>one tile per head: its label and its largest
score (row, column, box or self; for mixed, the stripe shows which); click a tile for the
head</figcaption></figure>
<p>Each head's <b>scores</b> are the mean attention mass a cell puts on the 8 other cells of
its row, of its column and of its box, on itself, and on the 60 cells sharing no unit with
it. Row, column and box overlap in 2 cells each, so a pure row head scores row 1.00 and box
0.25. Uniform attention scores {chance['row']:.3f} on each unit, {chance['self']:.3f} on
itself and {chance['other']:.3f} elsewhere. {escape(RULE)}</p>
<p>Numbers are averaged over {data['puzzles']['count']} puzzles as given; <i>late</i> repeats
them on the same puzzles once iterative decoding ({data['late']['cells_per_call']} cells per
network call) has filled {100 * data['late']['fraction_filled']:.0f}% of the empty cells.
<i>Entropy</i> is that of one cell's attention in bits (a pure unit head has 3.00, uniform
6.34); <i>on filled</i> is the mass an empty cell puts on filled cells, beside the share of
filled cells that uniform attention would give.</p>
</section>"""


def _bar_cell(value: float, color: str) -> str:
    return f'<td class="num bar" style="--v:{min(value, 1):.3f};--c:{color}">{value:.2f}</td>'


def _table(data: dict) -> str:
    rows = []
    for h in data["heads"]:
        late = h["late"]
        rows.append(
            f'<tr><td><a href="#{h["name"]}">{h["name"]}</a></td><td>{_chip(h["label"])}</td>'
            + "".join(_bar_cell(h["scores"][s], COLORS[s]) for s in SCORES)
            + f'<td class="num">{h["entropy_bits"]:.2f}</td>'
            f'<td class="num">{h["filled_mass"]:.2f} <small>/ {h["filled_share"]:.2f}</small></td>'
            f'<td>{_chip(late["label"])}</td>'
            f'<td class="num">{late["filled_mass"]:.2f} <small>/ {late["filled_share"]:.2f}</small></td></tr>')
    chance = data["chance"]["scores"]
    rows.append('<tr class="chance"><td>uniform</td><td></td>'
                + "".join(f'<td class="num">{chance[s]:.2f}</td>' for s in SCORES)
                + f'<td class="num">{np.log2(81):.2f}</td><td></td><td></td><td></td></tr>')
    head = "".join(f"<th>{s}</th>" for s in SCORES)
    return f"""<section><h2>Every head</h2>
<table class="heads"><thead><tr><th>head</th><th>label</th>{head}<th>entropy</th>
<th>on filled</th><th>late</th><th>late on filled</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></section>"""


def _blocks(data: dict, analysis) -> str:
    masses = class_masses(analysis.start.maps)                          # (L, H, 7)
    heads = data["heads"]
    n_heads = masses.shape[1]
    figures = []
    for layer in range(masses.shape[0]):
        mine = heads[layer * n_heads:(layer + 1) * n_heads]
        title = layer_name(mine[0], data["model"]["n_loops"])
        svg = class_bars_svg(masses[layer], [f"h{h['head'] + 1}" for h in mine],
                             [h["label"] for h in mine], CLASSES, CLASS_CHANCE, title)
        figures.append(f"<figure><figcaption>{_block_title(title)}</figcaption>{svg}</figure>")
    legend = " ".join(f'<span class="swatch" style="--c:{COLORS[c]}"></span>{c}' for c in CLASSES)
    return f"""<section><h2>Block by block</h2>
<p>Where each head's attention goes, split into disjoint classes of cells: the cell itself,
peers sharing only its row, its row and box, only its box, its column and box, only its
column, and the rest. The top bar is uniform attention.</p>
<p class="legend">{legend}</p><div class="grid blocks">{"".join(figures)}</div></section>"""


def _block_title(prefix: str) -> str:
    """'p1.b2' -> 'pass 1 · block 2'."""
    words = {"p": "pass", "b": "block"}
    return " · ".join(f"{words[part[0]]} {part[1:]}" for part in prefix.split("."))


def _heads(data: dict, analysis, cell: int) -> str:
    cards = []
    maps = analysis.start.maps.reshape(-1, 81, 81)
    for h, attention in zip(data["heads"], maps):
        cards.append(f"""<article class="card" id="{h['name']}">
<h3>{h['name']} {_chip(h['label'])}</h3>{head_svg(attention, cell, h['name'])}
<dl class="facts">{_facts(h, "as given")}{_facts(h["late"], "late")}</dl></article>""")
    return f"""<section><h2>Heads</h2>
<p>Left: the mean attention of the head, one row per query cell and one column per key cell,
cells in reading order (a row head draws 9×9 squares on the diagonal, a column head
stripes, a box head small 3×3 squares). Right: where {cell_name(cell)} (the dot) looks, with
its <b style="color:{COLORS['row']}">row</b>, <b style="color:{COLORS['column']}">column</b>
and <b style="color:{COLORS['box']}">box</b> outlined; numbers are percentages.</p>
<div class="grid heads">{"".join(cards)}</div></section>"""


def _facts(numbers: dict, stage: str) -> str:
    """One stage's numbers of a head as a line of its fact list."""
    scores, strongest = numbers["scores"], numbers["strongest"]
    return (f"<dt>{stage}</dt><dd>{_chip(numbers['label'])} "
            + " · ".join(f"{s} {scores[s]:.2f}" for s in SCORES[:4])
            + f" · entropy {numbers['entropy_bits']:.2f} bits · favours {strongest['class']} "
            f"({strongest['mass']:.2f}, {strongest['times_chance']:.1f}× chance) · on filled {numbers['filled_mass']:.2f} "
            f"(share {numbers['filled_share']:.2f})</dd>")


# ------------------------------------------------------------------ the page

CSS = """
:root { --ink:#0f172a; --muted:#64748b; --line:#e2e8f0; --bg:#f8fafc; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); line-height: 1.5;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background: #0f172a; color: #e2e8f0; padding: 28px 40px; }
header h1 { margin: 0 0 4px; font-size: 26px; color: #fff; }
header p { margin: 2px 0; color: #cbd5e1; }
main { max-width: 1280px; margin: 0 auto; padding: 8px 40px 40px; }
h2 { margin: 36px 0 8px; font-size: 20px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { margin: 0 0 6px; font-size: 15px; display: flex; gap: 8px; align-items: center; }
p { max-width: 90ch; }
.big { font-size: 20px; font-weight: 600; }
.chip { display: inline-block; padding: 0 8px; border-radius: 999px; font-size: 12px;
  font-weight: 600; color: #fff; background: var(--c); line-height: 20px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px;
  background: var(--c); margin: 0 4px 0 12px; vertical-align: -1px; }
table { border-collapse: collapse; background: #fff; font-size: 13px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; }
th { background: #f1f5f9; font-weight: 600; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.bar { background: linear-gradient(to right,
  color-mix(in srgb, var(--c) 28%, white) calc(var(--v) * 100%), transparent 0); }
tr.chance td { color: var(--muted); font-style: italic; }
a { color: #1d4ed8; text-decoration: none; }
a:hover { text-decoration: underline; }
.overview { display: inline-block; }
.grid { display: grid; gap: 16px; }
.blocks { grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); }
.heads { grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); }
figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px; }
figcaption { color: var(--muted); font-size: 13px; margin: 4px 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px; }
.card:target { outline: 3px solid #93c5fd; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 10px; margin: 8px 0 0;
  color: var(--muted); font-size: 12.5px; }
.facts dt { font-weight: 600; color: var(--ink); }
.facts dd { margin: 0; }
svg { max-width: 100%; height: auto; display: block; font-family: inherit; }
.decode { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.passes { display: grid; gap: 12px; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); }
g.step.current rect { stroke: #0f172a; stroke-width: 3; }
input[type=range] { width: 220px; vertical-align: middle; }
button { font: inherit; font-size: 13px; padding: 2px 10px; border-radius: 6px;
  border: 1px solid #cbd5e1; background: #fff; cursor: pointer; }
#step-note { margin-left: 8px; color: var(--ink); }
code.line { word-break: break-all; }
details { margin-top: 12px; }
footer { color: var(--muted); font-size: 12px; padding: 20px 40px; text-align: center; }
"""

SCRIPT = """
const slider = document.getElementById("step");
const note = document.getElementById("step-note");
const steps = Array.from(document.querySelectorAll("g.step"));
function show() {
  const n = Number(slider.value);
  let current = null;
  for (const g of steps) {
    const k = Number(g.dataset.step);
    g.style.display = k < n ? "" : "none";
    g.classList.toggle("current", k === n - 1);
    if (k === n - 1) current = g;
  }
  note.textContent = current ? current.dataset.note : "the puzzle as given";
}
slider.addEventListener("input", show);
document.getElementById("play").addEventListener("click", () => {
  slider.value = 0;
  show();
  const timer = setInterval(() => {
    if (Number(slider.value) >= Number(slider.max)) return clearInterval(timer);
    slider.value = Number(slider.value) + 1;
    show();
  }, 300);
});
show();
"""


def _page(data: dict, sections: list[str]) -> str:
    m = data["model"]
    shape = plural(m["n_blocks"], "block") + (f" × {m['n_loops']} passes" if m["n_loops"] > 1
                                               else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Attention report: {escape(m['file'])}</title>
<style>{CSS}</style></head>
<body><header><h1>What the attention heads learned</h1>
<p>Model <code>{escape(m['file'])}</code>: {shape}, {plural(m['n_heads'], 'head')}, width {m['d_model']},
{m['params']:,} parameters. Puzzles: <code>{escape(data['puzzles']['file'])}</code>
({data['puzzles']['count']}).</p></header>
<main>{"".join(sections)}</main>
<footer>sudoku-tf {__version__} · attention report</footer>
<script>{SCRIPT}</script></body></html>
"""
