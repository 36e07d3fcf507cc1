"""The attention report's page: one self-contained HTML file (inline CSS, SVG and a few
lines of script from `page.css` and `page.js`; nothing fetched from anywhere) and the same
numbers as JSON. It leads with the example puzzle, pass by pass and decoded; the heads
follow, the table and each head's card folded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from importlib import resources

import numpy as np

from .. import __version__
from ..board import N_CELLS, cell_name
from ..decode import Refining
from ..solver import solve
from .analysis import (CLASS_CHANCE, CLASSES, DOMINANCE, LABELS, LATE_FRACTION, LATE_PER_STEP,
                       MIN_MASS, SCORES, analyze, chance_levels, class_masses, relation_biases)
from .charts import COLORS, class_bars_svg, head_svg, label_grid_svg
from .example import decoding, pass_by_pass, pick_example, plural

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
    puzzles (N, 81); shows the puzzle the passes improve most (`pick_example`) after each
    pass, and decodes it step by step. solutions (N, 81), if not given, are solved for."""
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
    biases = relation_biases(model)
    if biases is not None:
        data["relation_bias"] = biases
    truths = _solutions(puzzles, solutions)
    k = pick_example(model, puzzles, truths, config["n_loops"])
    solution = truths[k] if truths[k].all() else None
    data["pass_by_pass"], passes_html = pass_by_pass(model, puzzles[k], solution,
                                                     config["n_loops"])
    data["example"], example_html = decoding(Refining(model, config["n_loops"]), puzzles[k],
                                              solution)
    data["example"] = {"index": k, **data["example"]}
    sections = [_lead(data), passes_html, example_html, _overview(data), _biases(data),
                _table(data), _blocks(data, analysis), _heads(data, analysis, cell)]
    return Report(_page(data, sections), data)


def _solutions(puzzles: np.ndarray, solutions: np.ndarray | None) -> np.ndarray:
    """The given solutions (N, 81) int8, or each puzzle solved; zeros where it has none."""
    if solutions is not None:
        return np.asarray(solutions, np.int8).reshape(len(puzzles), N_CELLS)
    found = [solve(p) for p in puzzles]
    return np.array([np.zeros(N_CELLS, np.int8) if s is None else s for s in found], np.int8)


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


def _lead(data: dict) -> str:
    """The headline: how many heads specialise, which puzzle the example is, what follows."""
    counts = data["labels"]
    special = len(data["heads"]) - counts["mixed"]
    chips = " ".join(f"{_chip(label)} {n}" for label, n in counts.items() if n)
    biases = [("biases", "relation biases")] if "relation_bias" in data else []
    links = " · ".join(f'<a href="#{anchor}">{text}</a>' for anchor, text in [
        ("passes", "pass by pass"), ("decoding", "decoding"), ("overview", "heads at a glance"),
        *biases, ("table", "every head"), ("blocks", "block by block"), ("heads", "head by head")])
    return f"""<section class="lead">
<p class="big">{special} of {len(data["heads"])} heads specialise. {chips}</p>
<p>{_why_example(data)}</p>
<nav>{links}</nav></section>"""


def _why_example(data: dict) -> str:
    """Which puzzle the example is and why, in a sentence."""
    passes, n = data["pass_by_pass"], data["puzzles"]["count"]
    which = f"The example below is puzzle {data['example']['index'] + 1} of the {n}"
    if n == 1:
        return "The example below is the one puzzle analysed."
    if passes[0]["accuracy"] is None:
        return which + ": none has a solution to check the passes against."
    n_empty = data["example"]["puzzle"].count(".")
    first, last = (round(p["accuracy"] * n_empty) for p in (passes[0], passes[-1]))
    if len(passes) == 1:
        return (which + f", the one the network gets most wrong: {first} of its {n_empty} "
                "empty cells right.")
    return (which + f", the one the passes improve most: pass 1 gets {first} of its {n_empty} "
            f"empty cells right, pass {len(passes)} {last}.")


def _overview(data: dict) -> str:
    """Every head's label as a tile, and how the scores and labels are defined."""
    chance = data["chance"]["scores"]
    layers = _layers(data)
    labels = [[h["label"] for h in mine] for _, mine in layers]
    leaders = [[max(SCORES[:4], key=h["scores"].get) for h in mine] for _, mine in layers]
    strengths = np.array([[h["scores"][lead] for h, lead in zip(mine, leads)]   # the label
                          for (_, mine), leads in zip(layers, leaders)])         # unless mixed
    grid = label_grid_svg([name for name, _ in layers], labels, leaders, strengths)
    return f"""<section id="overview"><h2>Heads at a glance</h2>
<figure class="overview">{grid}<figcaption>one tile per head: its label and its largest
score (row, column, box or self; for mixed, the stripe shows which); click a tile for the
head</figcaption></figure>
<p>Each head's <b>scores</b> are the mean attention mass a cell puts on the 8 other cells of
its row, of its column and of its box, on itself, and on the 60 cells sharing no unit with
it. Row, column and box overlap in 2 cells each, so a pure row head scores row 1.00 and box
0.25. Uniform attention scores {chance['row']:.3f} on each unit, {chance['self']:.3f} on
itself and {chance['other']:.3f} elsewhere. {escape(RULE)}</p>
<p>Numbers are averaged over {plural(data['puzzles']['count'], 'puzzle')} as
given; <i>late</i> repeats them on the same puzzles once iterative decoding
({data['late']['cells_per_call']} cells per network call) has filled
{100 * data['late']['fraction_filled']:.0f}% of the empty cells. <i>Entropy</i> is that of
one cell's attention in bits (a pure unit head has 3.00, uniform 6.34); <i>on filled</i> is
the mass an empty cell puts on filled cells, beside the share of filled cells that uniform
attention would give.</p>
</section>"""


def _biases(data: dict) -> str:
    """Each block's learned bias per head and relation, as a table per block; nothing for
    a model without them."""
    if "relation_bias" not in data:
        return ""
    names, blocks = data["relation_bias"]["relations"], data["relation_bias"]["blocks"]
    peak = max(abs(b) for block in blocks for head in block for b in head) or 1.0
    head = "".join(f'<th>{_swatch(name)}{escape(name)}</th>' for name in names)
    tables = []
    for k, block in enumerate(blocks):
        rows = "".join(f"<tr><td>h{h + 1}</td>" + "".join(_bias_cell(b, peak) for b in biases)
                       + "</tr>" for h, biases in enumerate(block))
        tables.append(f"""<figure><figcaption>block {k + 1}</figcaption><table class="biases">
<thead><tr><th>head</th>{head}</tr></thead><tbody>{rows}</tbody></table></figure>""")
    passes = data["model"]["n_loops"]
    shared = f", the same in all {passes} passes" if passes > 1 else ""
    return f"""<section id="biases"><h2>Learned relation biases</h2>
<p>Each head adds a learned number to its attention score for a key cell, chosen by how the
key relates to the query: the cell itself, a cell of only its row, of its row and box, and
so on{shared}. A bias of +1 weighs those keys e ≈ 2.7 times as much as a bias of 0 would;
<span class="pos">blue</span> favours, <span class="neg">red</span> avoids.</p>
<div class="grid bias-tables">{"".join(tables)}</div></section>"""


def _bias_cell(bias: float, peak: float) -> str:
    sign = "pos" if bias >= 0 else "neg"
    return (f'<td class="num bias {sign}" style="--v:{abs(bias) / peak:.3f}">'
            f"{bias:+.2f}</td>")


def _swatch(name: str) -> str:
    """A small square of the class's colour, if the name is a class."""
    return f'<span class="swatch" style="--c:{COLORS[name]}"></span>' if name in COLORS else ""


def _layers(data: dict) -> list[tuple[str, list[dict]]]:
    """The heads grouped by block application, in order: [(its name, its heads)]."""
    groups: dict[str, list[dict]] = {}
    for h in data["heads"]:
        groups.setdefault(layer_name(h, data["model"]["n_loops"]), []).append(h)
    return list(groups.items())


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
    return f"""<section id="table"><h2>Every head</h2>
<details><summary>the numbers of all {len(data["heads"])} heads, one row each</summary>
<table class="heads"><thead><tr><th>head</th><th>label</th>{head}<th>entropy</th>
<th>on filled</th><th>late</th><th>late on filled</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></details></section>"""


def _blocks(data: dict, analysis) -> str:
    masses = class_masses(analysis.start.maps)                          # (L, H, 7)
    figures = []
    for (title, mine), layer in zip(_layers(data), masses):
        svg = class_bars_svg(layer, [f"h{h['head'] + 1}" for h in mine],
                             [h["label"] for h in mine], CLASSES, CLASS_CHANCE, title)
        figures.append(f"<figure><figcaption>{_block_title(title)}</figcaption>{svg}</figure>")
    legend = " ".join(f"{_swatch(c)}{c}" for c in CLASSES)
    return f"""<section id="blocks"><h2>Block by block</h2>
<p>Where each head's attention goes, split into disjoint classes of cells: the cell itself,
peers sharing only its row, its row and box, only its box, its column and box, only its
column, and the rest. The top bar is uniform attention.</p>
<p class="legend">{legend}</p><div class="grid blocks">{"".join(figures)}</div></section>"""


def _block_title(prefix: str) -> str:
    """'p1.b2' -> 'pass 1 · block 2'."""
    words = {"p": "pass", "b": "block"}
    return " · ".join(f"{words[part[0]]} {part[1:]}" for part in prefix.split("."))


def _heads(data: dict, analysis, cell: int) -> str:
    """Each head's card, folded by block application."""
    maps = iter(analysis.start.maps.reshape(-1, N_CELLS, N_CELLS))
    folds = []
    for title, mine in _layers(data):
        cards = "".join(f"""<article class="card" id="{h['name']}">
<h3>{h['name']} {_chip(h['label'])}</h3>{head_svg(next(maps), cell, h['name'])}
<dl class="facts">{_facts(h, "as given")}{_facts(h["late"], "late")}</dl></article>"""
                        for h in mine)
        chips = " ".join(_chip(h["label"]) for h in mine)
        folds.append(f"""<details class="layer"><summary>{_block_title(title)} {chips}</summary>
<div class="grid heads">{cards}</div></details>""")
    return f"""<section id="heads"><h2>Head by head</h2>
<p>Open a block for its heads. Left: the mean attention of the head, one row per query
cell and one column per key cell, cells in reading order (a row head draws 9×9 squares on
the diagonal, a column head stripes, a box head small 3×3 squares). Right: where
{cell_name(cell)} (the dot) looks, with its <b style="color:{COLORS['row']}">row</b>,
<b style="color:{COLORS['column']}">column</b> and <b style="color:{COLORS['box']}">box</b>
outlined; numbers are percentages.</p>
{"".join(folds)}</section>"""


def _facts(numbers: dict, stage: str) -> str:
    """One stage's numbers of a head as a line of its fact list."""
    scores, strongest = numbers["scores"], numbers["strongest"]
    return (f"<dt>{stage}</dt><dd>{_chip(numbers['label'])} "
            + " · ".join(f"{s} {scores[s]:.2f}" for s in SCORES[:4])
            + f" · entropy {numbers['entropy_bits']:.2f} bits · favours {strongest['class']} "
            f"({strongest['mass']:.2f}, {strongest['times_chance']:.1f}× chance) · on filled {numbers['filled_mass']:.2f} "
            f"(share {numbers['filled_share']:.2f})</dd>")


# ------------------------------------------------------------------ the page

def _asset(name: str) -> str:
    """A file shipped beside this module (page.css, page.js), as text."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _page(data: dict, sections: list[str]) -> str:
    m = data["model"]
    shape = plural(m["n_blocks"], "block") + (f" × {m['n_loops']} passes" if m["n_loops"] > 1
                                               else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Attention report: {escape(m['file'])}</title>
<style>{_asset("page.css")}</style></head>
<body><header><h1>What the attention heads learned</h1>
<p>Model <code>{escape(m['file'])}</code>: {shape}, {plural(m['n_heads'], 'head')}, width {m['d_model']},
{m['params']:,} parameters. Puzzles: <code>{escape(data['puzzles']['file'])}</code>
({data['puzzles']['count']}).</p></header>
<main>{"".join(sections)}</main>
<footer>sudoku-tf {__version__} · attention report</footer>
<script>{_asset("page.js")}</script></body></html>
"""
