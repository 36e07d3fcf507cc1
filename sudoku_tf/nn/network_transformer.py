"""`NetworkTransformer`: a token classifier — embeddings, Transformer blocks, per-token logits.

Beyond the reference library it can factorise positions into several learned tables
(e.g. one per coordinate of a grid, summed) and run its blocks several times with shared
weights (recurrent depth), with a loss after every pass (deep supervision).
"""

from __future__ import annotations

import numpy as np

from .activations import softmax
from .losses import cross_entropy, cross_entropy_delta
from .matrices import EmbeddingMatrix, WeightMatrix
from .norm import LayerNorm
from . import parallel
from .optim import OptimizerSpec, model_optimizer
from .params import Module, as_generator, positive_ints
from .transformer import TransformerBlock, tied_copy


class NetworkTransformer(Module):
    """Tokens (B, T) -> logits (B, T, C), trained with masked cross-entropy.

    positions: None for one learned embedding per position, or a list of id lists (each
    of length seq_len) naming a group per position; every list gets its own table and
    the rows are summed. n_loops > 1 repeats the blocks with shared weights, feeding the
    token embedding back in each time.
    """

    def __init__(self, seq_len: int, vocab_size: int = 10, d_model: int = 64, n_heads: int = 4,
                 d_ff: int = 128, n_blocks: int = 4, n_classes: int = 9, norm: str = "pre",
                 positions: list[list[int]] | None = None, n_loops: int = 1,
                 lr: float | None = None, clip: float = 1.0, warmup: int | None = None,
                 optimizer: OptimizerSpec = None, seed=None):
        """lr (default 1e-3) and warmup (steps of linear warmup) build the default Adam;
        an optimizer given instead brings its own rate and schedule."""
        sizes = positive_ints(seq_len=seq_len, vocab_size=vocab_size, d_model=d_model,
                              n_heads=n_heads, d_ff=d_ff, n_blocks=n_blocks,
                              n_classes=n_classes, n_loops=n_loops)
        self._pos_ids = _position_ids(positions, seq_len)        # list of (T,) int arrays
        self._args = dict(sizes, norm=norm, clip=float(clip or 0.0),
                          positions=None if positions is None else [p.tolist() for p in self._pos_ids])
        rng = as_generator(seed)
        self.token = EmbeddingMatrix(vocab_size, d_model, seed=rng)
        self.positions = [EmbeddingMatrix(int(ids.max()) + 1, d_model, seed=rng)
                          for ids in self._pos_ids]
        self.blocks = [TransformerBlock(d_model, n_heads, d_ff, norm=norm, seed=rng)
                       for _ in range(n_blocks)]
        self.ln_f = LayerNorm(d_model) if norm == "pre" else None
        self.head = WeightMatrix(d_model, n_classes, seed=rng)
        # pass k runs its own tied copies of the blocks, so each keeps its own cache
        self._passes = [self.blocks] + [[tied_copy(b) for b in self.blocks]
                                        for _ in range(n_loops - 1)]
        self.clip = self._args["clip"]
        self.optimizer = model_optimizer(optimizer, self.params(), lr, 1e-3, warmup)
        self._replicas = parallel.Replicas(self)
        self._sharded = False                                     # did the last predict run in shards?
        self._cache = None

    def config(self) -> dict:
        return {**self._args, "optimizer": self.optimizer.config()}

    # ---- forward and backward -------------------------------------------------------

    def forward(self, tokens: np.ndarray) -> np.ndarray:
        """tokens (B, T) int -> logits of every pass (K, B, T, C); the last is the answer."""
        B, T = tokens.shape
        if T != len(self._pos_ids[0]):
            raise ValueError(f"expected sequences of {len(self._pos_ids[0])} tokens, got {T}")
        self._sharded = False
        e = self.token.forward(tokens)                              # (B, T, D)
        for table, ids in zip(self.positions, self._pos_ids):
            e = e + table.forward(ids)                              # (T, D) broadcast
        outs, x = [], e
        for k, blocks in enumerate(self._passes):
            if k:
                x = x + e                                           # re-inject the input
            for block in blocks:
                x = block.forward(x)
            outs.append(x)
        K = len(outs)
        h = np.concatenate(outs)                                    # (K*B, T, D)
        if self.ln_f is not None:
            h = self.ln_f.forward(h)
        self._cache = (K, B)
        return self.head.forward(h).reshape(K, B, T, -1)            # (K, B, T, C)

    def backward(self, dlogits: np.ndarray) -> None:
        """dlogits (K, B, T, C) -> parameter gradients (tokens have none)."""
        K, B = self._require_cache()
        _, _, T, C = dlogits.shape
        dh = self.head.backward(dlogits.reshape(K * B, T, C))       # (K*B, T, D)
        if self.ln_f is not None:
            dh = self.ln_f.backward(dh)
        dh = dh.reshape(K, B, T, -1)
        de = np.zeros_like(dh[0])                                   # (B, T, D)
        dx = np.zeros_like(dh[0])
        for k in reversed(range(K)):
            dx = dx + dh[k]                                         # from its own loss and the next pass
            for block in reversed(self._passes[k]):
                dx = block.backward(dx)
            de += dx
        self.token.backward(de)
        dpos = de.sum(0)                                            # (T, D)
        for table in self.positions:
            table.backward(dpos)

    # ---- the reference library's interface --------------------------------------

    def predict(self, tokens: np.ndarray) -> np.ndarray:
        """Class probabilities: (T,) -> (T, C) or (B, T) -> (B, T, C)."""
        tokens = np.asarray(tokens)
        batch = np.atleast_2d(tokens)
        shards = parallel.shards(len(batch))
        if len(shards) == 1:
            logits = self.forward(batch)[-1]                        # (B, T, C)
        else:                                                       # shards on parallel threads
            logits = np.concatenate(parallel.run(lambda rep, s: rep.forward(batch[s])[-1],
                                                 self._replicas.get(len(shards)), shards))
            self._sharded = True
        probs = softmax(logits)
        self._single = tokens.ndim == 1
        return probs[0] if self._single else probs

    def loss(self, tokens, targets, mask=None) -> float:
        """Masked cross-entropy averaged over passes, without touching gradients."""
        tokens, targets, mask = self._batch(tokens, targets, mask)
        logits = self.forward(tokens)
        return cross_entropy(logits, *_per_pass(logits, targets, mask))

    def loss_and_grad(self, tokens, targets, mask=None) -> float:
        """Forward, loss and backward; gradients accumulate into every Param's .grad.

        A large batch is split into shards that run on parallel threads (see `parallel`);
        weighting each shard by its masked count gives the full batch's loss and gradient.
        """
        tokens, targets, mask = self._batch(tokens, targets, mask)
        shards = parallel.shards(len(tokens))
        counts = [float(mask[s].sum()) for s in shards]
        if len(shards) == 1 or min(counts) < 1:
            return self._loss_and_grad(tokens, targets, mask)
        weights = [c / sum(counts) for c in counts]
        replicas = self._replicas.get(len(shards))
        losses = parallel.run(lambda rep, s: rep._loss_and_grad(tokens[s], targets[s], mask[s]),
                              replicas, shards)
        self._replicas.add_grads(weights)
        return float(np.dot(weights, losses))

    def _loss_and_grad(self, tokens, targets, mask) -> float:
        """loss_and_grad on the calling thread, for normalised (tokens, targets, mask)."""
        logits = self.forward(tokens)
        targets, mask = _per_pass(logits, targets, mask)
        loss = cross_entropy(logits, targets, mask)
        self.backward(cross_entropy_delta(logits, targets, mask))
        return loss

    def train(self, tokens, targets, lr: float | None = None, mask=None) -> float:
        """One optimizer step on a batch; returns the loss before the step.

        lr, if given, replaces the optimizer's base rate for this step (its schedule,
        if any, still applies).

        targets: class ids (B, T) / (T,), or the reference's flat one-hot (B, T*C) / (T*C,).
        mask: 1 where a token counts toward the loss (None: every token).
        """
        return self.optimizer.train_step(lambda: self.loss_and_grad(tokens, targets, mask),
                                         lr, self.clip)

    def get_attention_weights(self) -> list[np.ndarray]:
        """Attention of the last forward, one array per block application (pass-major).

        Each is (B, H, T, T), or (H, T, T) after `predict` on a single sequence.
        """
        per_model = [[b.attention_weights for blocks in m._passes for b in blocks]
                     for m in (self._replicas.copies if self._sharded else [self])]
        if any(m is None for maps in per_model for m in maps):
            raise RuntimeError("get_attention_weights called before any forward pass")
        maps = per_model[0] if len(per_model) == 1 else [np.concatenate(m) for m in zip(*per_model)]
        return [m[0] for m in maps] if getattr(self, "_single", False) else maps

    def summary(self) -> str:
        """Parameters per part and the output shape of each stage."""
        a = self._args
        T, D, C = a["seq_len"], a["d_model"], a["n_classes"]
        rows = [("token embedding", f"(B, {T}, {D})", self.token.n_params())]
        rows += [(f"position table {i}", f"({T}, {D})", t.n_params())
                 for i, t in enumerate(self.positions)]
        rows += [(f"block {i}" + (f" (x{a['n_loops']}, shared)" if a["n_loops"] > 1 else ""),
                  f"(B, {T}, {D})", b.n_params()) for i, b in enumerate(self.blocks)]
        if self.ln_f is not None:
            rows.append(("final norm", f"(B, {T}, {D})", self.ln_f.n_params()))
        rows.append(("head", f"(B, {T}, {C})", self.head.n_params()))
        return self._summary_table(
            f"NetworkTransformer  heads={a['n_heads']} d_ff={a['d_ff']} norm={a['norm']}", rows)

    def _batch(self, tokens, targets, mask):
        """Normalises (tokens, targets, mask) to (B, T) int, (B, T) int, (B, T) float."""
        tokens = np.atleast_2d(np.asarray(tokens))
        B, T = tokens.shape
        targets = np.asarray(targets)
        C = self._args["n_classes"]
        if np.issubdtype(targets.dtype, np.floating) and targets.shape[-1] == T * C:
            targets = targets.reshape(B, T, C).argmax(-1)           # reference: flat one-hot
        targets = targets.reshape(B, T).astype(np.int64)
        if targets.min() < 0 or targets.max() >= C:
            raise ValueError(f"targets must be class ids in [0, {C})")
        mask = np.ones((B, T)) if mask is None else np.asarray(mask).reshape(B, T)
        return tokens, targets, mask


def _position_ids(positions, seq_len: int) -> list[np.ndarray]:
    if positions is None:
        return [np.arange(seq_len)]
    ids = [np.asarray(p, dtype=np.int64) for p in positions]
    if not ids or any(p.shape != (seq_len,) or p.min() < 0 for p in ids):
        raise ValueError(f"positions must be lists of {seq_len} non-negative group ids")
    return ids


def _per_pass(logits: np.ndarray, targets: np.ndarray, mask: np.ndarray):
    """Targets and mask (B, T) repeated for every pass of logits (K, B, T, C): the loss
    is then the mean over masked tokens of all passes (deep supervision)."""
    lead = logits.shape[:-1]                                        # (K, B, T)
    return np.broadcast_to(targets, lead), np.broadcast_to(mask.astype(logits.dtype), lead)
