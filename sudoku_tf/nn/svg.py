"""Draws a fully connected network as a self-contained SVG string.

Neurons are circles in one column per layer; each weight is a line, blue if positive
and red if negative, as wide as its size relative to the largest weight.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

POSITIVE, NEGATIVE = "#2563eb", "#dc2626"
MARGIN = 40            # px around the drawing, room for the column labels
MAX_STROKE = 4.0       # px for the largest |weight|


def network_svg(weights: Sequence[np.ndarray], activations: Sequence[str],
                width: int = 640, height: int = 400) -> str:
    """weights: one (n_in, n_out) matrix per layer; activations: one name per layer."""
    sizes = [weights[0].shape[0]] + [w.shape[1] for w in weights]
    xs = np.linspace(MARGIN, width - MARGIN, len(sizes))
    ys = [_column(n, height) for n in sizes]
    radius = min(12.0, 0.35 * min(_spacing(n, height) for n in sizes))
    scale = MAX_STROKE / max(max(float(np.abs(w).max()) for w in weights), 1e-12)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
             '<rect width="100%" height="100%" fill="white"/>']
    for layer, w in enumerate(weights):
        for i, j in np.ndindex(w.shape):
            value = float(w[i, j])
            parts.append(
                f'<line x1="{xs[layer]:.1f}" y1="{ys[layer][i]:.1f}" x2="{xs[layer + 1]:.1f}" '
                f'y2="{ys[layer + 1][j]:.1f}" stroke="{POSITIVE if value >= 0 else NEGATIVE}" '
                f'stroke-width="{max(0.3, abs(value) * scale):.2f}" stroke-opacity="0.8">'
                f'<title>{value:.4g}</title></line>')
    labels = ["input"] + list(activations)
    for x, column, label in zip(xs, ys, labels):
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="#f8fafc" '
                  f'stroke="#334155" stroke-width="1.5"/>' for y in column]
        parts.append(f'<text x="{x:.1f}" y="{height - MARGIN / 3:.1f}" text-anchor="middle">'
                     f'{label} ({len(column)})</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _spacing(n: int, height: int) -> float:
    """Vertical distance between neighbouring neurons of a column of n."""
    return (height - 2 * MARGIN) / max(n, 1)


def _column(n: int, height: int) -> np.ndarray:
    """y coordinates of n neurons, centred in the drawing: (n,)."""
    return height / 2 + (np.arange(n) - (n - 1) / 2) * _spacing(n, height)
