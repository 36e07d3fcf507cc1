"""The two matrix building blocks: an affine map (`WeightMatrix`) and a lookup table
(`EmbeddingMatrix`). Both work on any number of leading axes."""

from __future__ import annotations

import numpy as np

from .params import Module, Param, as_generator


class WeightMatrix(Module):
    """Affine map y = x @ W + b: (..., n_in) -> (..., n_out).

    `clip` bounds every weight to [-clip, clip] after each update (`apply_clip`), as the
    reference library does to keep small recurrent nets stable.
    """

    def __init__(self, n_in: int, n_out: int, bias: bool = True, clip: float | None = None,
                 seed=None, scale: float | None = None):
        if n_in <= 0 or n_out <= 0:
            raise ValueError(f"WeightMatrix sizes must be positive, got ({n_in}, {n_out})")
        rng = as_generator(seed)
        std = scale if scale is not None else np.sqrt(2.0 / (n_in + n_out))   # Xavier/Glorot
        self.W = Param("W", (rng.standard_normal((n_in, n_out)) * std).astype(np.float32))
        self.b = Param("b", np.zeros(n_out, np.float32)) if bias else None
        self.clip = clip
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = x
        n_in, n_out = self.W.value.shape
        # one (N, n_in) @ (n_in, n_out) call: a 3-D @ 2-D matmul runs one small gemm per row of B
        y = x.reshape(-1, n_in) @ self.W.value                    # (N, n_out)
        if self.b is not None:
            y += self.b.value
        return y.reshape(*x.shape[:-1], n_out)                    # (..., n_out)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        x = self._require_cache()
        n_in, n_out = self.W.value.shape
        x2, dy2 = x.reshape(-1, n_in), dy.reshape(-1, n_out)      # (N, n_in), (N, n_out)
        self.W.grad += x2.T @ dy2
        if self.b is not None:
            self.b.grad += np.ones(len(dy2), dy.dtype) @ dy2      # column sums via BLAS
        return (dy2 @ self.W.value.T).reshape(x.shape)            # (..., n_in)

    def apply_clip(self) -> None:
        if self.clip is not None:
            np.clip(self.W.value, -self.clip, self.clip, out=self.W.value)


class EmbeddingMatrix(Module):
    """Lookup table: integer ids (...) -> rows (..., D)."""

    def __init__(self, n_rows: int, d: int, seed=None, scale: float = 0.02):
        if n_rows <= 0 or d <= 0:
            raise ValueError(f"EmbeddingMatrix sizes must be positive, got ({n_rows}, {d})")
        rng = as_generator(seed)
        self.E = Param("E", (rng.standard_normal((n_rows, d)) * scale).astype(np.float32))
        self._cache = None

    def forward(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.E.value)):
            raise ValueError(f"ids must lie in [0, {len(self.E.value)}), got "
                             f"[{ids.min()}, {ids.max()}]")
        self._cache = ids
        return self.E.value[ids]                                  # (..., D)

    def backward(self, dy: np.ndarray) -> None:
        """Scatters dy into the rows that were read; ids have no gradient."""
        ids = self._require_cache()
        n_rows, d = self.E.value.shape
        flat_ids, dy2 = ids.reshape(-1), dy.reshape(-1, d)        # (N,), (N, D)
        if n_rows <= 256:
            # a one-hot matmul is one BLAS call; far faster than np.add.at for small tables
            onehot = (flat_ids[None, :] == np.arange(n_rows)[:, None]).astype(dy.dtype)
            self.E.grad += onehot @ dy2                           # (V, N) @ (N, D)
        else:
            np.add.at(self.E.grad, flat_ids, dy2)
        return None
