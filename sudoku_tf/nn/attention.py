"""Scaled dot-product attention: one head (`AttentionHead`) and all heads at once
(`MultiHeadAttention`), both built on the same pair of batched kernels."""

from __future__ import annotations

import numpy as np

from .linear import WeightMatrix
from .params import Module, as_generator


def attend(q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool):
    """softmax(q k^T / sqrt(Dh)) v for every batch and head.

    q, k, v: (B, H, T, Dh). Returns ctx (B, H, T, Dh) and probs (B, H, T, T).
    """
    scale = q.dtype.type(1.0 / np.sqrt(q.shape[-1]))
    scores = q @ k.transpose(0, 1, 3, 2)                          # (B, H, T, T)
    scores *= scale
    if causal:
        T = scores.shape[-1]
        scores[..., np.triu(np.ones((T, T), bool), k=1)] = -np.inf   # no peeking ahead
    scores -= scores.max(-1, keepdims=True)
    probs = np.exp(scores, out=scores)
    probs /= probs.sum(-1, keepdims=True)
    return probs @ v, probs                                       # (B, H, T, Dh)


def attend_backward(dctx: np.ndarray, q, k, v, probs):
    """Gradients of `attend` for q, k and v, given dctx (B, H, T, Dh)."""
    scale = q.dtype.type(1.0 / np.sqrt(q.shape[-1]))
    dv = probs.transpose(0, 1, 3, 2) @ dctx                       # (B, H, T, Dh)
    dprobs = dctx @ v.transpose(0, 1, 3, 2)                       # (B, H, T, T)
    # softmax backward: each row's Jacobian is diag(p) - p p^T
    dscores = probs * (dprobs - (dprobs * probs).sum(-1, keepdims=True))
    dscores *= scale
    dq = dscores @ k                                              # (B, H, T, Dh)
    dk = dscores.transpose(0, 1, 3, 2) @ q
    return dq, dk, dv


class MultiHeadAttention(Module):
    """Self-attention with H heads computed together: (B, T, D) -> (B, T, D).

    One fused projection makes q, k and v for every head; `causal` hides later tokens.
    """

    def __init__(self, d_model: int, n_heads: int, causal: bool = False, seed=None):
        if n_heads <= 0 or d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be a positive multiple of n_heads ({n_heads})")
        rng = as_generator(seed)
        self.qkv = WeightMatrix(d_model, 3 * d_model, seed=rng)
        self.out = WeightMatrix(d_model, d_model, seed=rng)
        self.n_heads = n_heads
        self.causal = causal
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        B, T, D = x.shape
        H = self.n_heads
        qkv = self.qkv.forward(x).reshape(B, T, 3, H, D // H)      # (B, T, 3, H, Dh)
        q, k, v = qkv.transpose(2, 0, 3, 1, 4)                    # each (B, H, T, Dh)
        ctx, probs = attend(q, k, v, self.causal)
        self._cache = (q, k, v, probs)
        ctx = ctx.transpose(0, 2, 1, 3).reshape(B, T, D)          # heads side by side
        return self.out.forward(ctx)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        q, k, v, probs = self._require_cache()
        B, T, D = dy.shape
        H = self.n_heads
        dctx = self.out.backward(dy).reshape(B, T, H, D // H).transpose(0, 2, 1, 3)
        dq, dk, dv = attend_backward(dctx, q, k, v, probs)
        dqkv = np.stack([dq, dk, dv], axis=2)                     # (B, H, 3, T, Dh)
        dqkv = dqkv.transpose(0, 3, 2, 1, 4).reshape(B, T, 3 * D)  # back to (B, T, 3, H, Dh)
        return self.qkv.backward(dqkv)

    @property
    def attention_weights(self) -> np.ndarray | None:
        """Attention probabilities of the last forward pass, (B, H, T, T)."""
        return None if self._cache is None else self._cache[3]


class AttentionHead(MultiHeadAttention):
    """A single attention head of width d_head: (B, T, D) -> (B, T, d_head).

    The reference library's unit of attention; `MultiHeadAttention` runs many at once.
    """

    def __init__(self, d_model: int, d_head: int, causal: bool = False, seed=None):
        rng = as_generator(seed)
        self.qkv = WeightMatrix(d_model, 3 * d_head, seed=rng)
        self.out = None
        self.n_heads = 1
        self.causal = causal
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        B, T, _ = x.shape
        q, k, v = self.qkv.forward(x).reshape(B, T, 3, 1, -1).transpose(2, 0, 3, 1, 4)
        ctx, probs = attend(q, k, v, self.causal)                  # (B, 1, T, Dh)
        self._cache = (q, k, v, probs)
        return ctx[:, 0]                                           # (B, T, Dh)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        q, k, v, probs = self._require_cache()
        dq, dk, dv = attend_backward(dy[:, None], q, k, v, probs)
        dqkv = np.stack([dq, dk, dv], axis=2)                      # (B, 1, 3, T, Dh)
        B, _, _, T, Dh = dqkv.shape
        return self.qkv.backward(dqkv.transpose(0, 3, 2, 1, 4).reshape(B, T, 3 * Dh))
