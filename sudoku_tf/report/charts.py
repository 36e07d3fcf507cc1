"""Inline SVG charts for the attention report: head heatmaps with a board overlay, class
bars per block, the decoding board and its confidence curve, the network's answer
after each pass.

Each function returns one `<svg>` string; pages and files are `report`'s business.
`line_chart_svg` draws curves with error bars, standalone, for model cards and ablations.
"""

from __future__ import annotations

import base64
import math
import struct
import zlib
from html import escape

import numpy as np

from ..board import BOX, COL, EMPTY, ROW, cell_name

BLUES = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")    # attention, low to high
CONFIDENCE = ("#fca5a5", "#fde68a", "#bbf7d0")                      # probability 0, 0.5, 1
COLORS = {"self": "#7c3aed", "row": "#2563eb", "row+box": "#0891b2", "box": "#16a34a",
          "column+box": "#ca8a04", "column": "#ea580c", "other": "#cbd5e1", "mixed": "#64748b"}
HEAT_PX = 3                # screen pixels per cell of the 81x81 heatmap
HEAT_LEVELS = 64           # shades of the heatmap: a small palette, a small PNG
BOARD_PX = 26              # per cell of a small board overlay
BOARD_MARGIN = 6           # around a drawn Sudoku board
BASELINE = 0.675           # of a digit half a cell high, down the cell: centres the digit


def ramp(values: np.ndarray, anchors=BLUES) -> np.ndarray:
    """Values in [0, 1] (...) -> colours (..., 3) uint8, linear between evenly spaced anchors."""
    stops = np.array([[int(a[i:i + 2], 16) for i in (1, 3, 5)] for a in anchors], float)
    x = np.clip(np.asarray(values, float), 0, 1) * (len(anchors) - 1)
    lo = np.minimum(x.astype(int), len(anchors) - 2)
    t = (x - lo)[..., None]
    return np.rint(stops[lo] * (1 - t) + stops[lo + 1] * t).astype(np.uint8)


def _hex(rgb) -> str:
    return "#%02x%02x%02x" % tuple(int(c) for c in rgb)


def png_data_uri(rgb: np.ndarray) -> str:
    """An (h, w, 3) uint8 image as a `data:image/png;base64,...` URI (no dependencies):
    indexed colour when it has at most 256 colours (a third of the bytes), else RGB."""
    h, w, _ = rgb.shape
    colors, index = np.unique(rgb.reshape(-1, 3), axis=0, return_inverse=True)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    if len(colors) <= 256:                                          # colour type 3: a palette
        pixels, color_type = index.reshape(h, w).astype(np.uint8), 3
        palette = chunk(b"PLTE", colors.astype(np.uint8).tobytes())
    else:                                                           # colour type 2: RGB
        pixels, color_type, palette = rgb, 2, b""
    raw = b"".join(b"\0" + pixels[y].tobytes() for y in range(h))  # filter type 0 per row
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)) + palette
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _svg(width: float, height: float, body: list[str], css_class: str, label: str,
         standalone: bool = False) -> str:
    """An <svg> element; `standalone` adds the namespace a separate .svg file needs."""
    xmlns = 'xmlns="http://www.w3.org/2000/svg" ' if standalone else ""
    return (f'<svg {xmlns}class="{css_class}" role="img" '
            f'aria-label="{escape(label)}" viewBox="0 0 {width:g} {height:g}" '
            f'width="{width:g}" height="{height:g}">' + "".join(body) + "</svg>")


def _text(x, y, content, anchor="middle", size=11, fill="#334155", extra="") -> str:
    return (f'<text x="{x:g}" y="{y:g}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{fill}"{extra}>{escape(str(content))}</text>')


def _rect(x, y, w, h, fill="none", stroke="none", width=1.0, title: str | None = None) -> str:
    stroked = f' stroke="{stroke}" stroke-width="{width:g}"' if stroke != "none" else ""
    head = f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" fill="{fill}"{stroked}'

    return head + (f"><title>{escape(title)}</title></rect>" if title else "/>")


def _board_lines(x0, y0, cell, color="#334155") -> list[str]:
    """Thin cell lines and thick box lines of a 9x9 board."""
    lines = []
    for k in range(10):
        width = 1.6 if k % 3 == 0 else 0.4
        at = k * cell
        lines.append(f'<path d="M{x0 + at:g} {y0:g}v{9 * cell:g}M{x0:g} {y0 + at:g}h{9 * cell:g}" '
                     f'stroke="{color}" stroke-width="{width}"/>')
    return lines


def head_svg(attention: np.ndarray, query: int, title: str) -> str:
    """One head: its mean (81, 81) attention as a heatmap (query rows, key columns), and
    beside it the board coloured by where cell `query` looks, its row, column and box outlined."""
    side = 81 * HEAT_PX
    x0, y0 = 30, 30
    bx = x0 + side + 44
    peak = max(float(attention.max()), 1e-12)
    shades = np.rint(attention / peak * (HEAT_LEVELS - 1)) / (HEAT_LEVELS - 1)   # (81, 81)
    body = [_text(x0 + side / 2, 14, "key cell (row by row) →", size=10),
            _text(12, y0 + side / 2, "query cell →", size=10,
                  extra=f' transform="rotate(-90 12 {y0 + side / 2:g})"'),
            f'<image x="{x0}" y="{y0}" width="{side}" height="{side}" preserveAspectRatio="none" '
            f'style="image-rendering:pixelated" href="{png_data_uri(ramp(shades))}"/>']
    band = 9 * HEAT_PX
    for r in range(9):
        body.append(_text(x0 - 4, y0 + (r + 0.5) * band + 3, f"r{r + 1}", "end", 8))
        body.append(_text(x0 + (r + 0.5) * band, y0 + side + 11, f"r{r + 1}", size=8))
    rules = "".join(f"M{x0 + k * band} {y0}v{side}M{x0} {y0 + k * band}h{side}" for k in range(1, 9))
    body.append(f'<path d="{rules}" stroke="#94a3b8" stroke-width="0.5" stroke-opacity="0.6"/>')
    body.append(_rect(x0, y0, side, side, stroke="#475569"))
    qy = y0 + (query + 0.5) * HEAT_PX
    body.append(f'<path d="M{x0 + side + 2} {qy:g}l7 -4v8z" fill="#0f172a"><title>'
                f'{cell_name(query)}</title></path>')
    body += _overlay(attention[query], query, bx, y0)
    body.append(_text(x0 + side / 2, y0 + side + 26, f"mean attention, white 0 to dark {peak:.2f}",
                      size=10, fill="#64748b"))
    body.append(_text(bx + 4.5 * BOARD_PX, y0 + side + 26, f"where {cell_name(query)} looks",
                      size=10, fill="#64748b"))
    return _svg(bx + 9 * BOARD_PX + 6, y0 + side + 34, body, "head-map", title)


def _overlay(weights: np.ndarray, query: int, x0: float, y0: float) -> list[str]:
    """A board coloured by one query's attention (81,), with its units outlined."""
    cell = BOARD_PX
    peak = max(float(weights.max()), 1e-12)
    colors = ramp(weights / peak)
    body = []
    for i in range(81):
        x, y = x0 + COL[i] * cell, y0 + ROW[i] * cell
        body.append(_rect(x, y, cell, cell, _hex(colors[i]),
                          title=f"{cell_name(i)}: {weights[i]:.3f}"))
        if weights[i] >= 0.05:
            dark = weights[i] / peak > 0.55
            body.append(_text(x + cell / 2, y + cell / 2 + 3, f"{round(100 * weights[i])}",
                              size=8, fill="#ffffff" if dark else "#1e293b"))
    body += _board_lines(x0, y0, cell, "#94a3b8")
    r, c, b = ROW[query], COL[query], BOX[query]
    for unit, (ux, uy, w, h), inset in [("row", (0, r, 9, 1), 2), ("column", (c, 0, 1, 9), 2),
                                        ("box", (b % 3 * 3, b // 3 * 3, 3, 3), 4)]:
        outline = (x0 + ux * cell + inset, y0 + uy * cell + inset, w * cell - 2 * inset,
                   h * cell - 2 * inset)
        body.append(_rect(*outline, stroke="#ffffff", width=4))      # a halo over dark cells
        body.append(_rect(*outline, stroke=COLORS[unit], width=2))
    cx, cy = x0 + (c + 0.5) * cell, y0 + (r + 0.5) * cell
    body.append(f'<circle cx="{cx:g}" cy="{cy:g}" r="4" fill="#0f172a" stroke="#fff"/>')
    return body


def label_grid_svg(layers: list[str], labels: list[list[str]], leaders: list[list[str]],
                   strengths: np.ndarray) -> str:
    """One tile per head, a row per block application: its label, and the score of its
    leading unit (strengths (L, H)), whose colour a `mixed` tile shows as a stripe. Each
    tile links to `#{layer}.h{k}`."""
    tile_w, tile_h, x0, y0 = 64, 34, 58, 22
    n_heads = strengths.shape[1]
    body = [_text(x0 + (h + 0.5) * tile_w, 14, f"h{h + 1}", size=11) for h in range(n_heads)]
    for r, layer in enumerate(layers):
        y = y0 + r * tile_h
        body.append(_text(x0 - 8, y + tile_h / 2 + 4, layer, "end", 11))
        for h, (label, leader) in enumerate(zip(labels[r], leaders[r])):
            x = x0 + h * tile_w
            stripe = (_rect(x + 2, y + tile_h - 6, tile_w - 4, 4, COLORS[leader])
                      if label == "mixed" else "")
            body.append(f'<a href="#{layer}.h{h + 1}">'
                        + _rect(x + 2, y + 2, tile_w - 4, tile_h - 4, COLORS[label],
                                title=f"{layer}.h{h + 1}: {label}, {leader} {strengths[r, h]:.2f}")
                        + stripe
                        + _text(x + tile_w / 2, y + 15, label, size=11, fill="#ffffff",
                                extra=' font-weight="600"')
                        + _text(x + tile_w / 2, y + 26, f"{strengths[r, h]:.2f}", size=9,
                                fill="#f1f5f9") + "</a>")
    return _svg(x0 + n_heads * tile_w + 4, y0 + len(layers) * tile_h + 4, body, "label-grid",
                "head labels")


def class_bars_svg(masses: np.ndarray, names: list[str], labels: list[str],
                   classes: tuple[str, ...], chance: np.ndarray, title: str) -> str:
    """Stacked bars of each head's mass per class, masses (H, len(classes)), under a bar of
    uniform attention's share for comparison."""
    bar_x, bar_w, row_h = 62, 380, 22
    rows = [("uniform", chance, "")] + list(zip(names, masses, labels))
    body = []
    for k, (name, mass, label) in enumerate(rows):
        y = 6 + k * row_h
        body.append(_text(bar_x - 8, y + 14, name, "end", 11))
        x = bar_x
        for cls, m in zip(classes, mass):
            w = bar_w * float(m)
            body.append(_rect(x, y + 3, w, row_h - 6, COLORS[cls],
                              title=f"{name} {cls}: {m:.3f}"))
            x += w
        if label:
            body.append(_text(bar_x + bar_w + 8, y + 14, label, "start", 11, COLORS[label],
                              ' font-weight="600"'))
    return _svg(bar_x + bar_w + 70, 12 + len(rows) * row_h, body, "block-bars", title)


def decode_board_svg(puzzle: np.ndarray, board: np.ndarray, order: np.ndarray,
                     confidence: np.ndarray, solution: np.ndarray | None) -> str:
    """The decoded board: givens in black; each filled cell tinted by the model's confidence,
    with its step number, in a `<g class="step" data-step=k>`; wrong digits struck in red."""
    cell = 40
    colors = ramp(confidence, CONFIDENCE)
    marks = []
    for i in np.flatnonzero((puzzle == EMPTY) & (order >= 0)):
        wrong = solution is not None and board[i] != solution[i]
        note = f"step {order[i] + 1}: {cell_name(i)} = {board[i]}, p = {confidence[i]:.2f}"
        marks.append(_mark(i, cell, board[i], colors[i], wrong, order[i] + 1, note,
                           f' class="step" data-step="{order[i]}" data-note="{escape(note)}'
                           f'{" (wrong)" if wrong else ""}"'))
    return _board_svg(puzzle, cell, marks, "decode-board", "iterative decoding")


def belief_board_svg(puzzle: np.ndarray, board: np.ndarray, confidence: np.ndarray,
                     solution: np.ndarray | None, label: str) -> str:
    """The network's answer at one moment: givens in black; each empty cell shows its digit
    in `board`, tinted by `confidence` (81,) and with it in percent; wrong digits in red."""
    cell = 32
    colors = ramp(confidence, CONFIDENCE)
    marks = []
    for i in np.flatnonzero(puzzle == EMPTY):
        wrong = solution is not None and board[i] != solution[i]
        note = f"{cell_name(i)} = {board[i]}, p = {confidence[i]:.2f}{' (wrong)' if wrong else ''}"
        marks.append(_mark(i, cell, board[i], colors[i], wrong, round(100 * confidence[i]), note))
    return _board_svg(puzzle, cell, marks, "belief-board", label)


def _board_svg(puzzle: np.ndarray, cell: int, marks: list[str], css_class: str, label: str) -> str:
    """A board of `cell`-pixel squares: the givens in black, the `marks` of the other cells
    (from `_mark`), and the lines over them."""
    x0 = y0 = BOARD_MARGIN
    body = [_rect(x0, y0, 9 * cell, 9 * cell, "#ffffff")]
    for i in np.flatnonzero(puzzle != EMPTY):
        body.append(_text(x0 + (COL[i] + 0.5) * cell, y0 + (ROW[i] + BASELINE) * cell, puzzle[i],
                          size=cell // 2, fill="#0f172a", extra=' font-weight="600"'))
    body += marks
    body += _board_lines(x0, y0, cell)
    return _svg(9 * cell + 2 * x0, 9 * cell + 2 * y0, body, css_class, label)


def _mark(i: int, cell: int, digit: int, rgb, wrong: bool, corner, note: str,
          attributes: str = "") -> str:
    """Cell i of a `_board_svg` holding `digit` on the colour `rgb`, a small `corner` label
    and the tooltip `note`, as a `<g{attributes}>`; a wrong digit red and framed in red."""
    x, y = BOARD_MARGIN + COL[i] * cell, BOARD_MARGIN + ROW[i] * cell
    red = "#b91c1c"
    return (f'<g{attributes}><title>{escape(note)}</title>'
            + _rect(x + 1, y + 1, cell - 2, cell - 2, _hex(rgb), red if wrong else "none", 2)
            + _text(x + cell / 2, y + BASELINE * cell, digit, size=cell // 2,
                    fill=red if wrong else "#1d4ed8")
            + _text(x + 3, y + 10, corner, "start", 8, "#475569") + "</g>")


def confidence_svg(confidence: np.ndarray, wrong: np.ndarray) -> str:
    """The model's probability for the digit placed at each step (n,), wrong steps in red."""
    width, height, x0, y0, plot_h = 560, 170, 40, 10, 120
    n = len(confidence)
    xs = x0 + (np.arange(n) + 0.5) * (width - x0 - 10) / max(n, 1)
    ys = y0 + plot_h * (1 - np.asarray(confidence))
    body = []
    for p in (0, 0.5, 1):
        y = y0 + plot_h * (1 - p)
        body.append(f'<path d="M{x0} {y:g}H{width - 10}" stroke="#e2e8f0"/>')
        body.append(_text(x0 - 6, y + 4, f"{p:g}", "end", 10))
    if n:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))
        body.append(f'<polyline points="{points}" fill="none" stroke="#1d4ed8" stroke-width="1.5"/>')
    for k, (x, y) in enumerate(zip(xs, ys)):
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" '
                    f'fill="{"#b91c1c" if wrong[k] else "#1d4ed8"}"><title>step {k + 1}: '
                    f'p = {confidence[k]:.3f}</title></circle>')
    ticks = sorted({0, n - 1} | set(range(9, n - 5, 10))) if n else []   # 1, 10, 20, ..., n
    for k in ticks:
        body.append(_text(xs[k], y0 + plot_h + 14, k + 1, size=9))
    body.append(_text(x0 + (width - x0) / 2, height - 12, "decoding step", size=10, fill="#64748b"))
    return _svg(width, height, body, "confidence", "confidence per decoding step")


SERIES = ("#2563eb", "#ea580c", "#16a34a", "#7c3aed", "#dc2626", "#0891b2", "#ca8a04",
          "#db2777", "#475569", "#65a30d")
# one dash pattern per group of series (e.g. per test set, or per training run)
DASHES = ("", "6 3", "2 3", "8 3 2 3", "12 3 2 3 2 3")


MIN_TICK_GAP = 40          # pixels between x-axis labels of a line chart


def line_chart_svg(series: dict[str, list[tuple[float, float, float]]], x_label: str,
                   y_label: str, log_x: bool = False, y_range: tuple[float, float] = (0.0, 1.0),
                   width: int = 720, height: int = 420, groups: int = 1) -> str:
    """Curves with error bars: series name -> [(x, y, error)]. With `groups` > 1 the series
    come in that many equal consecutive groups: colour by position within a group, dash
    by group (e.g. arms x test sets)."""
    points = [p for pts in series.values() for p in pts]
    if not points:
        raise ValueError("no points to draw")
    fx = (lambda v: math.log2(v)) if log_x else (lambda v: v)
    xs = [fx(x) for x, _, _ in points]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = y_range
    left, right, top, bottom = 56, 200, 16, 44
    pw, ph = width - left - right, height - top - bottom

    def px(x):
        return left + (fx(x) - x0) / (x1 - x0) * pw

    def py(y):
        return top + (1 - (min(max(y, y0), y1) - y0) / (y1 - y0)) * ph

    body = [_rect(0, 0, width, height, fill="white")]
    for i in range(6):                                               # horizontal grid
        y = y0 + (y1 - y0) * i / 5
        body.append(f'<line x1="{left}" x2="{left + pw}" y1="{py(y):.1f}" y2="{py(y):.1f}" '
                    f'stroke="#e2e8f0"/>')
        body.append(_text(left - 6, py(y) + 4, f"{y:.0%}" if y1 <= 1 else f"{y:g}", "end", 10))
    last = -math.inf
    for x in sorted({x for x, _, _ in points}):
        if px(x) - last >= MIN_TICK_GAP:                             # labels that would overlap are skipped
            body.append(_text(px(x), top + ph + 16, f"{x:g}", size=10))
            last = px(x)
    body.append(_text(left + pw / 2, height - 8, x_label))
    body.append(_text(14, top + ph / 2, y_label, extra=f' transform="rotate(-90 14 {top + ph / 2:g})"'))
    per_group = max(1, len(series) // groups)
    for k, (name, pts) in enumerate(series.items()):
        color, dash = SERIES[k % per_group % len(SERIES)], DASHES[k // per_group % len(DASHES)]
        pts = sorted(pts)
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y, _ in pts)
        body.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"'
                    + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        for x, y, err in pts:
            body.append(f'<line x1="{px(x):.1f}" x2="{px(x):.1f}" y1="{py(y - err):.1f}" '
                        f'y2="{py(y + err):.1f}" stroke="{color}"/>')
            body.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{color}">'
                        f"<title>{escape(name)}: {y:.3f} ± {err:.3f} at {x:g}</title></circle>")
        ly = top + 14 * k + 6
        body.append(f'<line x1="{left + pw + 12}" x2="{left + pw + 34}" y1="{ly}" y2="{ly}" '
                    f'stroke="{color}" stroke-width="2"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        body.append(_text(left + pw + 38, ly + 4, name, "start", 10))
    return _svg(width, height, body, "line-chart", f"{y_label} against {x_label}", standalone=True)
