"""The standalone line chart: valid SVG with one curve, error bar and legend entry per series."""

import xml.etree.ElementTree as ET

import pytest

from sudoku_tf.charts import line_chart_svg

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


def test_line_chart_refuses_an_empty_chart():
    with pytest.raises(ValueError, match="no points"):
        line_chart_svg({"a": []}, "x", "y")
