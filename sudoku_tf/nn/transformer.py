"""The Transformer block (attention + feed-forward, pre- or post-norm) and its parts."""

from __future__ import annotations

import copy

import numpy as np

from .attention import MultiHeadAttention
from .matrices import WeightMatrix
from .norm import LayerNorm
from .params import Module, as_generator

NORMS = ("pre", "post")


class FeedForward(Module):
    """Position-wise MLP: (..., D) -> ReLU(x W1 + b1) W2 + b2 -> (..., D)."""

    def __init__(self, d_model: int, d_ff: int, seed=None):
        rng = as_generator(seed)
        self.up = WeightMatrix(d_model, d_ff, seed=rng, scale=np.sqrt(2.0 / d_model))  # He init
        self.down = WeightMatrix(d_ff, d_model, seed=rng)
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        h = self.up.forward(x)                                     # (..., F)
        np.maximum(h, 0, out=h)
        self._cache = h
        return self.down.forward(h)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        h = self._require_cache()
        dh = self.down.backward(dy)                                # (..., F)
        dh *= h > 0                                                # ReLU passes where it fired
        return self.up.backward(dh)


class TransformerBlock(Module):
    """Self-attention then feed-forward, each wrapped in a residual: (B, T, D) -> (B, T, D).

    norm="pre":  h = x + attn(ln1(x));  y = h + ffn(ln2(h))   (stable when deep)
    norm="post": h = ln1(x + attn(x));  y = ln2(h + ffn(h))   (the original Transformer)

    relations: an optional (T, T) integer matrix for a learned per-head attention bias
    (see `MultiHeadAttention`).
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, norm: str = "pre",
                 causal: bool = False, seed=None, relations=None):
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        if d_ff <= 0:
            raise ValueError(f"d_ff must be positive, got {d_ff}")
        rng = as_generator(seed)
        self.attn = MultiHeadAttention(d_model, n_heads, causal=causal, seed=rng,
                                       relations=relations)
        self.ln1 = LayerNorm(d_model)
        self.ffn = FeedForward(d_model, d_ff, seed=rng)
        self.ln2 = LayerNorm(d_model)
        self.norm = norm

    def forward(self, x: np.ndarray) -> np.ndarray:
        if self.norm == "pre":
            h = self.attn.forward(self.ln1.forward(x))
            h += x                                                 # residuals add in place
            y = self.ffn.forward(self.ln2.forward(h))
            y += h
            return y
        h = self.ln1.forward(x + self.attn.forward(x))
        return self.ln2.forward(h + self.ffn.forward(h))

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self.norm == "pre":
            dh = self.ln2.backward(self.ffn.backward(dy))
            dh += dy
            dx = self.ln1.backward(self.attn.backward(dh))
            dx += dh
            return dx
        dsum = self.ln2.backward(dy)                               # grad of h + ffn(h)
        dh = dsum + self.ffn.backward(dsum)
        dsum = self.ln1.backward(dh)                               # grad of x + attn(x)
        return dsum + self.attn.backward(dsum)

    @property
    def attention_weights(self) -> np.ndarray | None:
        return self.attn.attention_weights


def tied_copy(module: Module) -> Module:
    """A copy with its own caches that shares every Param (and so every gradient).

    Running the same weights twice in one forward pass (recurrent depth) needs one
    cache per application; gradients from all applications add up in the shared Params.
    """
    return copy.deepcopy(module, memo={id(p): p for p in module.params()})
