"""Layer normalisation over the last axis, with its fused backward pass."""

from __future__ import annotations

import numpy as np

from .params import Module, Param

LN_EPS = 1e-5


class LayerNorm(Module):
    """Normalises the last axis, then scales and shifts it: (..., D) -> (..., D)."""

    def __init__(self, d: int, eps: float = LN_EPS):
        self.gamma = Param("gamma", np.ones(d, np.float32))
        self.beta = Param("beta", np.zeros(d, np.float32))
        self.eps = eps
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        mu = x.mean(-1, keepdims=True)                             # (..., 1)
        xc = x - mu
        rstd = 1.0 / np.sqrt((xc * xc).mean(-1, keepdims=True) + x.dtype.type(self.eps))
        xhat = xc * rstd                                           # (..., D)
        self._cache = (xhat, rstd)
        return xhat * self.gamma.value + self.beta.value

    def backward(self, dy: np.ndarray) -> np.ndarray:
        xhat, rstd = self._require_cache()
        d = dy.shape[-1]
        dy2, xhat2 = dy.reshape(-1, d), xhat.reshape(-1, d)        # (N, D)
        self.gamma.grad += np.einsum("nd,nd->d", dy2, xhat2)
        self.beta.grad += dy2.sum(0)
        g = dy * self.gamma.value                                  # grad wrt xhat
        # the mean and the variance both depend on every x: two correction terms
        return rstd * (g - g.mean(-1, keepdims=True)
                       - xhat * (g * xhat).mean(-1, keepdims=True))
