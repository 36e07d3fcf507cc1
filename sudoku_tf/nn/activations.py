"""Activation functions as tiny stateless callables, each with its derivative.

`f(x)` computes the activation, `f.grad(x)` its derivative and `f.backward(x, y, dy)`
the chain rule given the cached output; `get_activation` finds one by name. Every
function preserves the dtype it is given.
"""

from __future__ import annotations

import math

import numpy as np

GELU_C = math.sqrt(2.0 / math.pi)   # tanh approximation of GELU (Hendrycks & Gimpel)
GELU_K = 0.044715


class Activation:
    """An elementwise activation: `f(x)`, `f.grad(x)` and `f.backward(x, y, dy)`."""

    name = ""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def grad(self, x: np.ndarray) -> np.ndarray:
        """df/dx at every entry of x."""
        return self._grad(x, self(x))

    def backward(self, x: np.ndarray, y: np.ndarray, dy: np.ndarray) -> np.ndarray:
        """dL/dx from dL/dy, given the input x and the cached output y = f(x)."""
        return dy * self._grad(x, y)

    def _grad(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<activation {self.name}>"


class Sigmoid(Activation):
    """1 / (1 + exp(-x)), written through tanh so large |x| never overflows."""

    name = "sigmoid"

    def __call__(self, x):
        return 0.5 * (1 + np.tanh(0.5 * x))

    def _grad(self, x, y):
        return y * (1 - y)


class ReLU(Activation):
    """max(x, 0); its derivative at 0 is taken as 0."""

    name = "relu"

    def __call__(self, x):
        return np.maximum(x, 0)

    def _grad(self, x, y):
        return (x > 0).astype(x.dtype)


class Tanh(Activation):
    """Hyperbolic tangent."""

    name = "tanh"

    def __call__(self, x):
        return np.tanh(x)

    def _grad(self, x, y):
        return 1 - y * y


class Linear(Activation):
    """The identity: a layer without a non-linearity (regression outputs, logits)."""

    name = "linear"

    def __call__(self, x):
        return x

    def _grad(self, x, y):
        return np.ones_like(x)

    def backward(self, x, y, dy):
        return dy


class GELU(Activation):
    """GELU, tanh approximation: 0.5 x (1 + tanh(c (x + k x^3)))."""

    name = "gelu"

    def __call__(self, x):
        return 0.5 * x * (1 + np.tanh(GELU_C * (x + GELU_K * x ** 3)))

    def _grad(self, x, y):
        t = np.tanh(GELU_C * (x + GELU_K * x ** 3))
        # product rule: d/dx [0.5 x (1 + t)], with dt/dx = (1 - t^2) c (1 + 3 k x^2)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * GELU_K * x * x)


class Softmax(Activation):
    """Softmax over the last axis. Not elementwise: `grad` returns the Jacobian."""

    name = "softmax"

    def __call__(self, x):
        e = np.exp(x - x.max(-1, keepdims=True))       # (..., C), shifted: no overflow
        return e / e.sum(-1, keepdims=True)

    def grad(self, x):
        """The Jacobian dy_i/dx_j = y_i (delta_ij - y_j): (..., C) -> (..., C, C)."""
        y = self(x)
        return y[..., :, None] * (np.eye(x.shape[-1], dtype=x.dtype) - y[..., None, :])

    def backward(self, x, y, dy):
        # Jacobian-vector product without forming the Jacobian
        return y * (dy - (dy * y).sum(-1, keepdims=True))


def log_softmax(x: np.ndarray) -> np.ndarray:
    """log(softmax(x)) over the last axis, computed stably: (..., C) -> (..., C)."""
    shifted = x - x.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


sigmoid = Sigmoid()
relu = ReLU()
tanh = Tanh()
linear = Linear()
gelu = GELU()
softmax = Softmax()

ACTIVATIONS = {f.name: f for f in (sigmoid, relu, tanh, linear, gelu, softmax)}


def get_activation(spec: str | Activation) -> Activation:
    """The activation named `spec` (case-insensitive), or spec itself if it is one."""
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, str) and spec.lower() in ACTIVATIONS:
        return ACTIVATIONS[spec.lower()]
    raise ValueError(f"unknown activation {spec!r}; choose from {', '.join(ACTIVATIONS)}")
