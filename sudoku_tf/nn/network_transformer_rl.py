"""`NetworkTransformerRL`: causal attention over the last N observations -> Q-values.

A value network for agents that need memory: each observation is projected to the model
width, gets a learned position, runs through causal Transformer blocks, and a pooled
summary (the newest step counted twice) gives one Q-value per action.
"""

from __future__ import annotations

import numpy as np

from .matrices import EmbeddingMatrix, WeightMatrix
from .losses import mse, mse_delta
from .norm import LayerNorm
from .optim import OptimizerSpec, OwnOptimizer
from .params import Module, as_generator, positive_ints
from .transformer import TransformerBlock


class NetworkTransformerRL(OwnOptimizer, Module):
    """Observation sequences (B, T, input_dim) -> Q-values (B, n_actions), trained with MSE.

    Positions count from the oldest step in the window. A sequence longer than seq_len
    keeps its last seq_len steps. Sequences of different lengths (a list) are padded at
    the end: causal attention never lets a real step see the padding and the pooling
    skips it, so each gets exactly the Q-values it would get alone.
    optimizer: what `train()` steps (see `OwnOptimizer`), by default Adam at 1e-3; it
    clips the global gradient norm at 1.
    """

    train_clip = 1.0

    def __init__(self, seq_len: int, input_dim: int, d_model: int = 32, n_heads: int = 4,
                 d_ff: int = 64, n_blocks: int = 2, n_actions: int = 4, norm: str = "pre",
                 optimizer: OptimizerSpec = None, seed=None):
        sizes = positive_ints(seq_len=seq_len, input_dim=input_dim, d_model=d_model,
                              n_heads=n_heads, d_ff=d_ff, n_blocks=n_blocks, n_actions=n_actions)
        self._args = dict(sizes, norm=norm)
        rng = as_generator(seed)
        self.input = WeightMatrix(input_dim, d_model, seed=rng)
        self.position = EmbeddingMatrix(seq_len, d_model, seed=rng)
        self.blocks = [TransformerBlock(d_model, n_heads, d_ff, norm=norm, causal=True, seed=rng)
                       for _ in range(n_blocks)]
        self.ln_f = LayerNorm(d_model) if norm == "pre" else None
        self.head = WeightMatrix(d_model, n_actions, seed=rng)
        self._own_optimizer(optimizer)
        self._cache = None
        self._single = False

    def config(self) -> dict:
        return {**self._args, "optimizer": self._optimizer_config()}

    # ---- forward and backward -------------------------------------------------------

    def forward(self, x: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """x (B, T, input_dim), real steps per row (B,) -> Q-values (B, n_actions)."""
        B, T, _ = x.shape
        h = self.input.forward(x) + self.position.forward(np.arange(T))   # (B, T, D)
        for block in self.blocks:
            h = block.forward(h)
        if self.ln_f is not None:
            h = self.ln_f.forward(h)
        w = _pool_weights(lengths, T, h.dtype)                # (B, T)
        self._cache = w
        return self.head.forward(np.einsum("bt,btd->bd", w, h))   # (B, n_actions)

    def backward(self, dq: np.ndarray) -> np.ndarray:
        """dq (B, n_actions) -> dL/dx (B, T, input_dim), accumulating every gradient."""
        w = self._require_cache()
        dpooled = self.head.backward(dq)                      # (B, D)
        dh = w[:, :, None] * dpooled[:, None, :]              # (B, T, D)
        if self.ln_f is not None:
            dh = self.ln_f.backward(dh)
        for block in reversed(self.blocks):
            dh = block.backward(dh)
        self.position.backward(dh.sum(0))
        return self.input.backward(dh)

    # ---- the reference library's interface --------------------------------------

    def predict(self, sequence) -> np.ndarray:
        """Q-values: (T, input_dim) -> (n_actions,); (B, T, input_dim) or a list of
        (T_b, input_dim) -> (B, n_actions)."""
        x, lengths, self._single = self._batch(sequence)
        q = self.forward(x, lengths)
        return q[0] if self._single else q

    def loss(self, sequence, targets, mask=None) -> float:
        """Mean squared error of the Q-values the mask keeps, without touching gradients."""
        x, lengths, _ = self._batch(sequence)
        q = self.forward(x, lengths)
        return mse(q, self._targets(targets, q), _mask(mask, q))

    def loss_and_grad(self, sequence, targets, mask=None) -> float:
        """Forward, loss and backward; gradients accumulate into every Param's .grad."""
        x, lengths, _ = self._batch(sequence)
        q = self.forward(x, lengths)
        targets, mask = self._targets(targets, q), _mask(mask, q)
        self.backward(mse_delta(q, targets, mask))
        return mse(q, targets, mask)

    def train(self, sequence, targets, lr: float | None = None, mask=None) -> float:
        """One step of the model's own optimizer; returns the loss before it.

        targets: (n_actions,) or (B, n_actions). mask: the same shape, 1 where a Q-value
        counts (e.g. only the action taken, as Q-learning does); None keeps all.
        lr, if given, replaces the optimizer's base rate for this step.
        """
        return self._train_step(lambda: self.loss_and_grad(sequence, targets, mask), lr)

    def get_attention_weights(self) -> list[np.ndarray]:
        """Attention of the last forward, one (B, H, T, T) per block ((H, T, T) after a
        single-sequence `predict`)."""
        maps = [b.attention_weights for b in self.blocks]
        if any(m is None for m in maps):
            raise RuntimeError("get_attention_weights called before any forward pass")
        return [m[0] for m in maps] if self._single else maps

    def summary(self) -> str:
        """Parameters per part and the output shape of each stage."""
        a = self._args
        N, D = a["seq_len"], a["d_model"]
        rows = [("input projection", f"(B, {N}, {D})", self.input.n_params()),
                ("position table", f"({N}, {D})", self.position.n_params())]
        rows += [(f"causal block {i}", f"(B, {N}, {D})", b.n_params())
                 for i, b in enumerate(self.blocks)]
        if self.ln_f is not None:
            rows.append(("final norm", f"(B, {N}, {D})", self.ln_f.n_params()))
        rows += [("pool (newest step x2)", f"(B, {D})", 0),
                 ("Q head", f"(B, {a['n_actions']})", self.head.n_params())]
        return self._summary_table(
            f"NetworkTransformerRL  heads={a['n_heads']} d_ff={a['d_ff']} norm={a['norm']}", rows)

    def _batch(self, sequence):
        """(x (B, T, input_dim) in the weights' dtype, lengths (B,), was it one sequence)."""
        N, I = self._args["seq_len"], self._args["input_dim"]
        dtype = self.input.W.value.dtype
        if isinstance(sequence, (list, tuple)) and sequence and np.ndim(sequence[0]) == 2:
            single, rows = False, list(sequence)              # lengths may differ
        else:
            sequence = np.asarray(sequence)
            single = sequence.ndim == 2
            rows = [sequence] if single else list(sequence)
        rows = [np.asarray(r, dtype=dtype)[-N:] for r in rows]   # keep the last N steps
        if not rows or any(r.ndim != 2 or r.shape[1] != I or len(r) == 0 for r in rows):
            raise ValueError(f"expected sequences of shape (T, {I}) with T >= 1, "
                             f"got {[r.shape for r in rows]}")
        lengths = np.array([len(r) for r in rows])
        x = np.zeros((len(rows), lengths.max(), I), dtype)    # padded at the end
        for b, r in enumerate(rows):
            x[b, :len(r)] = r
        return x, lengths, single

    def _targets(self, targets, q: np.ndarray) -> np.ndarray:
        targets = np.asarray(targets, dtype=q.dtype)
        if targets.shape == q.shape[1:]:
            targets = np.broadcast_to(targets, q.shape)
        if targets.shape != q.shape:
            raise ValueError(f"targets must have shape {q.shape[1:]} or {q.shape}, "
                             f"got {targets.shape}")
        return targets


def _pool_weights(lengths: np.ndarray, T: int, dtype) -> np.ndarray:
    """Row b: 1 on its first lengths[b] - 1 steps, 2 on its newest, 0 on padding; sums to 1."""
    t = np.arange(T)[None, :]                                 # (1, T)
    L = lengths[:, None]                                      # (B, 1)
    w = (t < L).astype(dtype) + (t == L - 1)                  # (B, T)
    return w / (L + 1).astype(dtype)


def _mask(mask, q: np.ndarray) -> np.ndarray | None:
    return None if mask is None else np.broadcast_to(np.asarray(mask, q.dtype), q.shape)
