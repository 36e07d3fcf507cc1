"""Draws a fully connected network as a self-contained SVG string.

Neurons are circles in one column per layer; each weight is a line, blue if positive
and red if negative, as wide as its size relative to the largest weight. Each neuron's
fill shows its bias the same way (colour = sign, opacity = size); hovering names it.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

POSITIVE, NEGATIVE, NEUTRAL = "#2563eb", "#dc2626", "#334155"
MARGIN = 40            # px around the drawing, room for the legend and the column labels
MAX_STROKE = 4.0       # px for the largest |weight|
MIN_RADIUS, MAX_RADIUS = 4.0, 12.0
FILL = 0.35            # radius / distance between neighbouring neurons


def network_svg(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray],
                activations: Sequence[str], width: int = 640, height: int = 400) -> str:
    """weights: one (n_in, n_out) matrix per layer; biases: one (n_out,) vector per
    layer; activations: one name per layer.

    The radius follows the most crowded column (the largest layer, or the gap between
    columns) within MIN_RADIUS..MAX_RADIUS; when even MIN_RADIUS would not fit, the
    picture grows beyond width x height rather than shrinking neurons to dots.
    """
    sizes = [weights[0].shape[0]] + [w.shape[1] for w in weights]
    least_pitch = MIN_RADIUS / FILL                       # px between centres at MIN_RADIUS
    height = max(height, round(2 * MARGIN + max(sizes) * least_pitch))
    width = max(width, round(2 * MARGIN + (len(sizes) - 1) * least_pitch))
    xs = np.linspace(MARGIN, width - MARGIN, len(sizes))
    ys = [_column(n, height) for n in sizes]
    pitch = min(_spacing(max(sizes), height), xs[1] - xs[0])
    radius = float(np.clip(FILL * pitch, MIN_RADIUS, MAX_RADIUS))
    scale = MAX_STROKE / max(max(float(np.abs(w).max()) for w in weights), 1e-12)
    largest_bias = max(max(float(np.abs(b).max()) for b in biases), 1e-12)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
             '<rect width="100%" height="100%" fill="white"/>',
             f'<text x="{MARGIN / 4:.1f}" y="{MARGIN / 2:.1f}">lines: weights, fill: biases '
             f'(blue positive, red negative)</text>']
    for layer, w in enumerate(weights):
        for i, j in np.ndindex(w.shape):
            value = float(w[i, j])
            parts.append(
                f'<line x1="{xs[layer]:.1f}" y1="{ys[layer][i]:.1f}" x2="{xs[layer + 1]:.1f}" '
                f'y2="{ys[layer + 1][j]:.1f}" stroke="{_colour(value)}" '
                f'stroke-width="{max(0.3, abs(value) * scale):.2f}" stroke-opacity="0.8">'
                f'<title>{value:.4g}</title></line>')
    labels = ["input"] + list(activations)
    for layer, (x, column, label) in enumerate(zip(xs, ys, labels)):
        for i, y in enumerate(column):
            if layer == 0:
                fill, title = 'fill="#f8fafc"', f"input {i}"
            else:
                b = float(biases[layer - 1][i])
                fill = f'fill="{_colour(b)}" fill-opacity="{abs(b) / largest_bias:.2f}"'
                title = f"bias {b:.4g}"
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" {fill} '
                         f'stroke="{NEUTRAL}" stroke-width="1.5"><title>{title}</title></circle>')
        parts.append(f'<text x="{x:.1f}" y="{height - MARGIN / 3:.1f}" text-anchor="middle">'
                     f'{label} ({len(column)})</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _colour(value: float) -> str:
    return POSITIVE if value > 0 else NEGATIVE if value < 0 else NEUTRAL


def _spacing(n: int, height: int) -> float:
    """Vertical distance between neighbouring neurons of a column of n."""
    return (height - 2 * MARGIN) / max(n, 1)


def _column(n: int, height: int) -> np.ndarray:
    """y coordinates of n neurons, centred in the drawing: (n,)."""
    return height / 2 + (np.arange(n) - (n - 1) / 2) * _spacing(n, height)
