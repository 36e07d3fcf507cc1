"""Scaled dot-product attention: one head (`AttentionHead`) and all heads at once
(`MultiHeadAttention`), both built on the same pair of batched kernels.

Attention may add a learned bias per head to the scores, chosen by how query and key
relate (T5's relative-position buckets and ALiBi's distance penalty are such biases):
`relations` is a (T, T) matrix of small integer ids, one per query-key pair, and head h
adds `relation_bias[h, relations[t, s]]` to its score for query t and key s. Which pairs
share an id is up to the caller; the library only sees integers.
"""

from __future__ import annotations

import numpy as np

from .matrices import WeightMatrix
from .params import Module, Param, as_generator


# Row sums of exp(scores) within [EXP_LOW, EXP_HIGH]: no score overflowed exp and every
# row keeps a normal float32 maximum, so softmax needs no shift by the row's max.
EXP_LOW, EXP_HIGH = np.exp(-64.0), np.exp(64.0)
# The (T, T) maps are read and written by several passes each; running the kernels on
# chunks of the batch whose maps fit in a core's L2 cache keeps those passes off memory.
CHUNK_BYTES = 1 << 20


def attend(q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool, out=None,
           bias: np.ndarray | None = None):
    """softmax(q k^T / sqrt(Dh) + bias) v for every batch and head.

    q, k, v: (B, H, T, Dh); bias: None or (H, T, T), added to every batch's scores.
    Returns ctx (B, H, T, Dh), and the softmax unnormalised: weights (B, H, T, T) and
    their row sums (B, H, T, 1), probs = weights / rowsum. Normalising ctx instead of
    the (T, T) map saves a pass over the largest array. ctx is written into `out` when
    given (a view, e.g. of heads laid side by side).
    """
    B, H, T, Dh = q.shape
    ctx = np.empty((B, H, T, Dh), q.dtype) if out is None else out
    weights = np.empty((B, H, T, T), q.dtype)
    rowsum = np.empty((B, H, T, 1), q.dtype)
    for s in _batch_chunks(weights):
        _attend_chunk(q[s], k[s], v[s], causal, bias, ctx[s], weights[s], rowsum[s])
    return ctx, weights, rowsum


def attend_backward(dctx: np.ndarray, q, k, v, weights, rowsum, ctx, out=None,
                    dbias: np.ndarray | None = None):
    """Gradients of `attend` for q, k and v, given dctx (B, H, T, Dh) and what the
    forward returned; `out`, if given, is a triple of (B, H, T, Dh) views to write dq,
    dk and dv into. `dbias`, if given, an (H, T, T) array, gets the scores' gradient
    summed over the batch added to it (the gradient of a bias shared by every batch)."""
    if out is None:
        out = tuple(np.empty(q.shape, q.dtype) for _ in range(3))
    dq, dk, dv = out
    for s in _batch_chunks(weights):
        _attend_backward_chunk(dctx[s], q[s], k[s], v[s], weights[s], rowsum[s], ctx[s],
                               dq[s], dk[s], dv[s], dbias)
    return dq, dk, dv


def _batch_chunks(probs: np.ndarray) -> list[slice]:
    """Slices of the batch axis whose (b, H, T, T) share of probs is about CHUNK_BYTES."""
    B = probs.shape[0]
    size = max(1, CHUNK_BYTES // max(1, probs[:1].nbytes))
    return [slice(i, i + size) for i in range(0, B, size)]


def _attend_chunk(q, k, v, causal, bias, ctx, weights, rowsum):
    """`attend` on one chunk, writing ctx, weights and rowsum in place."""
    # softmax is shift-invariant; the per-row max shift (a slow pass) is only needed when
    # a score overflows exp or a whole row underflows, and the row sums show both
    with np.errstate(over="ignore"):
        _exp_scores(q, k, causal, bias, causal, weights, rowsum)
    if not (EXP_LOW <= rowsum.min() and rowsum.max() <= EXP_HIGH):
        _exp_scores(q, k, causal, bias, True, weights, rowsum)
    # divide while writing: ctx may be a strided view, slow to update in place
    np.divide(weights @ v, rowsum, out=ctx)                       # (b, H, T, Dh)


def _exp_scores(q, k, causal, bias, shift, weights, rowsum):
    """weights = exp(scores), less each row's max if `shift`, and their row sums."""
    scale = q.dtype.type(1.0 / np.sqrt(q.shape[-1]))
    scores = np.matmul(q * scale, k.transpose(0, 1, 3, 2), out=weights)   # (b, H, T, T)
    if bias is not None:
        scores += bias                                                     # (H, T, T) broadcast
    if causal:
        T = scores.shape[-1]
        scores[..., np.triu(np.ones((T, T), bool), k=1)] = -np.inf   # no peeking ahead
    if shift:
        scores -= scores.max(-1, keepdims=True)
    np.exp(scores, out=weights)
    # row sums as a matmul: BLAS is faster than a reduction over rows of T entries
    np.matmul(weights, np.ones((weights.shape[-1], 1), weights.dtype), out=rowsum)


def _attend_backward_chunk(dctx, q, k, v, weights, rowsum, ctx, dq, dk, dv, dbias):
    """`attend_backward` on one chunk, writing dq, dk and dv in place.

    With probs = weights / rowsum, each 1 / rowsum (one per query row) goes onto a small
    (T, Dh) array instead of a (T, T) one.
    """
    scale = q.dtype.type(1.0 / np.sqrt(q.shape[-1]))
    np.matmul(weights.transpose(0, 1, 3, 2), dctx / rowsum, out=dv)  # (b, H, T, Dh)
    dscores = dctx @ v.transpose(0, 1, 3, 2)                      # dprobs, (b, H, T, T)
    # softmax backward: dscores = probs * (dprobs - rowsum(dprobs * probs)), and
    # rowsum(dprobs * probs) = dctx . ctx row by row, a (T, Dh) product instead of (T, T)
    dscores -= np.einsum("...td,...td->...t", dctx, ctx)[..., None]   # (b, H, T, 1)
    dscores *= weights                                            # = dscores * rowsum, per row
    if dbias is not None:
        dbias += (dscores / rowsum).sum(0)                        # (H, T, T)
    # scores = (q * scale) k^T: the scale and the 1 / rowsum go onto the small results
    np.matmul(dscores, k, out=dq)                                 # (b, H, T, Dh)
    dq *= scale / rowsum
    np.matmul(dscores.transpose(0, 1, 3, 2), q * (scale / rowsum), out=dk)


class SelfAttention(Module):
    """What both attention modules share: one fused projection makes q, k and v for H
    heads of width Dh, and every head attends at once; `causal` hides later tokens.
    Subclasses decide what becomes of the heads' outputs."""

    def __init__(self, d_model: int, n_heads: int, d_head: int, causal: bool, rng,
                 relations=None):
        self.qkv = WeightMatrix(d_model, 3 * n_heads * d_head, seed=rng)
        self.n_heads, self.d_head, self.causal = n_heads, d_head, causal
        self._relations = None if relations is None else _relation_ids(relations)   # (T, T)
        if self._relations is not None:                  # zero: the bias starts as no bias
            n_relations = int(self._relations.max()) + 1
            self.relation_bias = Param("relation_bias", np.zeros((n_heads, n_relations), np.float32))
        self._cache = None

    def _heads(self, x: np.ndarray) -> np.ndarray:
        """x (B, T, D) -> every head's output side by side, (B, T, H, Dh)."""
        D = self.qkv.W.value.shape[0]
        if np.ndim(x) != 3 or x.shape[-1] != D:
            raise ValueError(f"{type(self).__name__} expects inputs (B, T, {D}), a batch of "
                             f"sequences, got shape {np.shape(x)}")
        B, T, _ = x.shape
        H, Dh = self.n_heads, self.d_head
        q, k, v = self.qkv.forward(x).reshape(B, T, 3, H, Dh).transpose(2, 0, 3, 1, 4)  # (B, H, T, Dh)
        ctx = np.empty((B, T, H, Dh), x.dtype)
        _, weights, rowsum = attend(q, k, v, self.causal, out=ctx.transpose(0, 2, 1, 3),
                                    bias=self._bias(T))
        self._cache = (q, k, v, weights, rowsum, ctx)
        return ctx

    def _heads_backward(self, dctx: np.ndarray) -> np.ndarray:
        """dctx (B, T, H, Dh) -> dx (B, T, D); dq, dk and dv land in the projection's layout."""
        q, k, v, weights, rowsum, ctx = self._require_cache()
        B, T, H, Dh = dctx.shape
        dqkv = np.empty((B, T, 3, H, Dh), dctx.dtype)
        dbias = None if self._relations is None else np.zeros((H, T, T), dctx.dtype)
        attend_backward(dctx.transpose(0, 2, 1, 3), q, k, v, weights, rowsum,
                        ctx.transpose(0, 2, 1, 3), out=dqkv.transpose(2, 0, 3, 1, 4), dbias=dbias)
        if dbias is not None:
            # every pair with relation r adds its score gradient to bias[h, r]
            ids = self._relations.reshape(-1)                      # (T*T,)
            R = self.relation_bias.value.shape[1]
            self.relation_bias.grad += np.stack([np.bincount(ids, weights=d, minlength=R)
                                                 for d in dbias.reshape(H, -1)])   # (H, R)
        return self.qkv.backward(dqkv.reshape(B, T, 3 * H * Dh))

    def _bias(self, T: int) -> np.ndarray | None:
        """The relation bias of every query-key pair, (H, T, T), or None without one."""
        if self._relations is None:
            return None
        if len(self._relations) != T:
            raise ValueError(f"the relation matrix is for {len(self._relations)} tokens, "
                             f"the input has {T}")
        return self.relation_bias.value[:, self._relations]          # (H, T, T)

    @property
    def attention_weights(self) -> np.ndarray | None:
        """Attention probabilities of the last forward pass, (B, H, T, T)."""
        if self._cache is None:
            return None
        _, _, _, weights, rowsum, _ = self._cache
        return weights / rowsum


class MultiHeadAttention(SelfAttention):
    """Self-attention with H heads computed together: (B, T, D) -> (B, T, D).

    The heads' outputs, side by side, go through one output projection. `relations`, a
    (T, T) matrix of small non-negative integers, gives every head a learned bias per
    relation id (`relation_bias`, (H, R), starting at zero).
    """

    def __init__(self, d_model: int, n_heads: int, causal: bool = False, seed=None,
                 relations=None):
        if n_heads <= 0 or d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be a positive multiple of n_heads ({n_heads})")
        rng = as_generator(seed)
        super().__init__(d_model, n_heads, d_model // n_heads, causal, rng, relations)
        self.out = WeightMatrix(d_model, d_model, seed=rng)

    def forward(self, x: np.ndarray) -> np.ndarray:
        ctx = self._heads(x)                                       # (B, T, H, Dh)
        B, T, H, Dh = ctx.shape
        return self.out.forward(ctx.reshape(B, T, H * Dh))

    def backward(self, dy: np.ndarray) -> np.ndarray:
        B, T, _ = dy.shape
        return self._heads_backward(self.out.backward(dy).reshape(B, T, self.n_heads, self.d_head))


class AttentionHead(SelfAttention):
    """A single attention head of width d_head: (B, T, D) -> (B, T, d_head).

    The reference library's unit of attention; `MultiHeadAttention` runs many at once.
    """

    def __init__(self, d_model: int, d_head: int, causal: bool = False, seed=None,
                 relations=None):
        super().__init__(d_model, 1, d_head, causal, as_generator(seed), relations)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self._heads(x)[:, :, 0]                             # (B, T, Dh)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return self._heads_backward(dy[:, :, None])                # as (B, T, 1, Dh)


def _relation_ids(relations) -> np.ndarray:
    """relations as a (T, T) int array of non-negative ids; ValueError if it is not one."""
    ids = np.asarray(relations)
    if ids.ndim != 2 or ids.shape[0] != ids.shape[1] or not ids.size:
        raise ValueError(f"relations must be a square (T, T) matrix, got shape {ids.shape}")
    if not np.issubdtype(ids.dtype, np.integer) or ids.min() < 0:
        raise ValueError("relations must hold non-negative integer ids")
    return ids.astype(np.intp)
