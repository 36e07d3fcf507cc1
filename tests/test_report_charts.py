"""The standalone line chart: valid SVG with one curve, error bar and legend entry per series;
the Sudoku boards of the report: one mark per drawn cell, tinted, wrong digits in red; the
heatmaps' PNGs, read back pixel by pixel."""

import base64
import re
import struct
import xml.etree.ElementTree as ET
import zlib

import numpy as np
import pytest

from sudoku_tf.board import EMPTY, parse_board
from sudoku_tf.report.charts import (CONFIDENCE, HEAT_LEVELS, belief_board_svg, decode_board_svg,
                                     head_svg, line_chart_svg, png_data_uri, ramp)

PUZZLE = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79"
SOLUTION = "534678912672195348198342567859761423426853791713924856961537284287419635345286179"

NS = {"svg": "http://www.w3.org/2000/svg"}


def test_line_chart_is_a_standalone_svg_with_every_point_and_error_bar():
    series = {"a": [(1, 0.2, 0.01), (4, 0.5, 0.02), (16, 0.9, 0.01)], "b": [(1, 0.1, 0.0), (4, 0.3, 0.05)]}
    root = ET.fromstring(line_chart_svg(series, "passes", "solved", log_x=True))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall("svg:polyline", NS)) == 2
    dots = root.findall("svg:circle", NS)
    assert len(dots) == 5
    titles = [d.find("svg:title", NS).text for d in dots]
    assert "a: 0.900 ± 0.010 at 16" in titles
    # on a log axis 1, 4, 16 are evenly spaced; higher values are drawn higher
    xs = [float(d.get("cx")) for d in dots[:3]]
    ys = [float(d.get("cy")) for d in dots[:3]]
    assert xs[1] - xs[0] == pytest.approx(xs[2] - xs[1]) and ys[0] > ys[1] > ys[2]
    assert {t.text for t in root.findall("svg:text", NS)} >= {"a", "b", "passes", "solved"}


def test_line_chart_skips_x_labels_that_would_overlap():
    series = {"a": [(x, 0.5, 0.0) for x in (1000, 1500, 2000, 10000)]}
    root = ET.fromstring(line_chart_svg(series, "steps", "solved"))
    labels = {t.text for t in root.findall("svg:text", NS)}
    assert {"1000", "2000", "10000"} <= labels and "1500" not in labels   # 1500 sits 23 px on


def test_line_chart_refuses_an_empty_chart():
    with pytest.raises(ValueError, match="no points"):
        line_chart_svg({"a": []}, "x", "y")


def test_line_chart_draws_each_of_five_groups_with_its_own_dash_pattern():
    # five training runs of two series each: a run's curves share a pattern, runs do not
    series = {f"run {g}: {kind}": [(1, 0.5, 0.0), (2, 0.6, 0.0)]
              for g in range(5) for kind in ("cells", "solved")}
    root = ET.fromstring(line_chart_svg(series, "steps", "accuracy", groups=5))
    dashes = [line.get("stroke-dasharray", "") for line in root.findall("svg:polyline", NS)]
    assert len(set(dashes)) == 5
    assert all(dashes[2 * g] == dashes[2 * g + 1] for g in range(5))


def board_marks(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    assert root.tag == "svg"
    return root.findall("g")


def test_belief_board_shows_each_empty_cells_digit_tinted_with_its_percent_wrong_in_red():
    puzzle, solution = parse_board(PUZZLE), parse_board(SOLUTION)
    empty = np.flatnonzero(puzzle == EMPTY)
    board = solution.copy()
    board[empty[:3]] = board[empty[:3]] % 9 + 1                          # three wrong digits
    confidence = np.linspace(0, 0.8, 81)                                 # cell k: k / 100
    marks = board_marks(belief_board_svg(puzzle, board, confidence, solution, "pass 1"))
    assert len(marks) == len(empty)
    red = [m for m in marks if m.find("rect").get("stroke") == "#b91c1c"]
    assert [m.find("title").text for m in red] == [
        f"r1c{c + 1} = {board[c]}, p = {confidence[c]:.2f} (wrong)" for c in empty[:3]]
    last = marks[-1]                                                     # r9c7, cell 78
    assert [t.text for t in last.findall("text")] == [str(board[78]), "78"]
    assert last.find("rect").get("fill") == "#%02x%02x%02x" % tuple(ramp(0.78, CONFIDENCE))


def test_decode_board_marks_only_filled_cells_as_steps():
    puzzle, solution = parse_board(PUZZLE), parse_board(SOLUTION)
    order = np.full(81, -1)
    order[np.flatnonzero(puzzle == EMPTY)[:4]] = [2, 0, 3, 1]
    board = np.where(order >= 0, solution, puzzle)
    marks = board_marks(decode_board_svg(puzzle, board, order, np.full(81, 0.5), solution))
    assert [m.get("class") for m in marks] == ["step"] * 4
    assert [m.get("data-step") for m in marks] == ["2", "0", "3", "1"]
    assert [m.findall("text")[1].text for m in marks] == ["3", "1", "4", "2"]


def read_png(uri: str) -> np.ndarray:
    """The (h, w, 3) pixels of a data-URI PNG of colour type 2 (RGB) or 3 (palette), filter 0."""
    png = base64.b64decode(uri.split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        data = png[at + 8:at + 8 + length]
        assert struct.unpack(">I", png[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + data)
        chunks[kind] = data
        at += 12 + length
    w, h, depth, color_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {2: 3, 3: 1}[color_type]
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(h, 1 + w * channels)
    assert depth == 8 and (raw[:, 0] == 0).all()
    pixels = raw[:, 1:].reshape(h, w, channels)
    if color_type == 3:
        palette = np.frombuffer(chunks[b"PLTE"], np.uint8).reshape(-1, 3)
        return palette[pixels[..., 0]]
    return pixels


@pytest.mark.parametrize("h, w, color_type", [(5, 7, 3), (20, 20, 2)])
def test_png_data_uri_round_trips_with_a_palette_or_without(h, w, color_type):
    rgb = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    uri = png_data_uri(rgb)                        # 35 colours fit a palette, 400 do not
    assert base64.b64decode(uri.split(",", 1)[1])[25] == color_type
    assert np.array_equal(read_png(uri), rgb)


def test_head_heatmap_has_at_most_its_levels_of_shade_darkest_at_the_peak():
    attention = np.random.default_rng(1).dirichlet(np.ones(81), 81)   # (81, 81), rows sum to 1
    svg = head_svg(attention, 40, "h1")
    pixels = read_png(re.search(r'href="(data:image/png;base64,[^"]*)"', svg)[1])
    assert pixels.shape == (81, 81, 3)
    assert 8 < len(np.unique(pixels.reshape(-1, 3), axis=0)) <= HEAT_LEVELS
    peak = np.unravel_index(attention.argmax(), attention.shape)
    assert np.array_equal(pixels[peak], ramp(1.0))
