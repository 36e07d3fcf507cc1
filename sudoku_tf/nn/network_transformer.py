"""`NetworkTransformer`: a token classifier — embeddings, Transformer blocks, per-token logits.

Beyond the reference library it can factorise positions into several learned tables
(e.g. one per coordinate of a grid, summed) and run its blocks several times with shared
weights (recurrent depth, see `recurrence`), with a loss after every pass (deep
supervision). Passes are chosen per call: training can run gradient-free passes before
the ones it differentiates, inference can run more passes than training did, and either
can continue from the state a previous call left (`last_state`).
"""

from __future__ import annotations

import numpy as np

from .activations import softmax
from .losses import cross_entropy, cross_entropy_delta
from .matrices import EmbeddingMatrix, WeightMatrix
from .norm import LayerNorm
from . import parallel
from .optim import OptimizerSpec, OwnOptimizer
from .params import Module, as_generator, positive_ints
from .recurrence import RecurrentPass, RecurrentState
from .transformer import TransformerBlock, tied_copy


class NetworkTransformer(OwnOptimizer, Module):
    """Tokens (B, T) -> logits (B, T, C), trained with masked cross-entropy.

    positions: None for one learned embedding per position, or a list of id lists (each
    of length seq_len) naming a group per position; every list gets its own table and
    the rows are summed. n_loops > 1 repeats the blocks with shared weights, feeding the
    token embedding back in each time; it is the number of passes a call runs unless it
    asks for another. feedback=True also feeds each pass a learned projection of the
    previous pass's class probabilities; state_norm=True normalises the carried state
    (a LayerNorm) before each pass reads it. relations: None, or a (seq_len, seq_len)
    matrix of small integer ids relating each query position to each key position;
    every attention head then learns one score bias per id (zero at first).
    optimizer: what `train()` steps (see `OwnOptimizer`), by default Adam at 1e-3; it
    clips the global gradient norm at 1. A training loop of its own (`sudoku_tf.train`)
    brings its own optimizer and clipping instead.
    """

    train_clip = 1.0

    def __init__(self, seq_len: int, vocab_size: int = 10, d_model: int = 64, n_heads: int = 4,
                 d_ff: int = 128, n_blocks: int = 4, n_classes: int = 9, norm: str = "pre",
                 positions: list[list[int]] | None = None, n_loops: int = 1,
                 feedback: bool = False, state_norm: bool = False,
                 relations: list[list[int]] | None = None, optimizer: OptimizerSpec = None,
                 seed=None):
        sizes = positive_ints(seq_len=seq_len, vocab_size=vocab_size, d_model=d_model,
                              n_heads=n_heads, d_ff=d_ff, n_blocks=n_blocks,
                              n_classes=n_classes, n_loops=n_loops)
        self._pos_ids = _position_ids(positions, seq_len)        # list of (T,) int arrays
        self._args = dict(sizes, norm=norm, feedback=bool(feedback),
                          state_norm=bool(state_norm),
                          positions=None if positions is None else [p.tolist() for p in self._pos_ids],
                          relations=None if relations is None else np.asarray(relations).tolist())
        rng = as_generator(seed)
        self.token = EmbeddingMatrix(vocab_size, d_model, seed=rng)
        self.positions = [EmbeddingMatrix(int(ids.max()) + 1, d_model, seed=rng)
                          for ids in self._pos_ids]
        self.blocks = [TransformerBlock(d_model, n_heads, d_ff, norm=norm, seed=rng,
                                        relations=relations) for _ in range(n_blocks)]
        self.ln_f = LayerNorm(d_model) if norm == "pre" else None
        self.head = WeightMatrix(d_model, n_classes, seed=rng)
        self.feedback = WeightMatrix(n_classes, d_model, bias=False, seed=rng) if feedback else None
        self.state_norm = LayerNorm(d_model) if state_norm else None
        # each differentiated pass runs its own tied copy, so each keeps its own cache;
        # the first is the model's own modules, more are made as calls need them
        self._graded = [RecurrentPass(self.blocks, self.ln_f, self.head, self.feedback,
                                      self.state_norm)]
        self._free = tied_copy(self._graded[0])                    # for gradient-free passes
        self.last_state: RecurrentState | None = None
        self._own_optimizer(optimizer)
        self._replicas = parallel.Replicas(self)
        self._sharded = False                                     # did the last forward run in shards?
        self._single = False                                      # was it predict on one sequence?
        self._cache = None

    def config(self) -> dict:
        return {**self._args, "optimizer": self._optimizer_config()}

    # ---- forward and backward -------------------------------------------------------

    def forward(self, tokens: np.ndarray, passes: int | None = None,
                grad_passes: int | None = None, state: RecurrentState | None = None) -> np.ndarray:
        """tokens (B, T) int -> logits of the differentiated passes (G, B, T, C); the last
        is the answer.

        Runs `passes` passes (default n_loops). Only the last `grad_passes` (default: all)
        keep what `backward` needs; the ones before run gradient-free and keep nothing.
        `state` (a previous call's `last_state`) is where the first pass starts instead of
        from nothing; no gradient flows into it. Afterwards `last_state` holds the state
        the last pass left.
        """
        B, T = tokens.shape
        if T != len(self._pos_ids[0]):
            raise ValueError(f"expected sequences of {len(self._pos_ids[0])} tokens, got {T}")
        P, G = self._pass_counts(passes, grad_passes)
        self._sharded = self._single = False
        e = self.token.forward(tokens)                              # (B, T, D)
        for table, ids in zip(self.positions, self._pos_ids):
            e = e + table.forward(ids)                              # (T, D) broadcast
        x, probs = (None, None) if state is None else (state.x, state.probs)
        for _ in range(P - G):
            x, logits = self._free.forward(e, x, probs)
            probs = softmax(logits)                                 # (B, T, C)
        if P > G:                                                   # only they left caches
            self._free.release()
        while len(self._graded) < G:
            self._graded.append(tied_copy(self._graded[0]))
        outs, seen = [], []
        for step in self._graded[:G]:
            x, logits = step.forward(e, x, probs)
            probs = softmax(logits)
            outs.append(logits)
            seen.append(probs)
        self.last_state = RecurrentState(x, probs)
        self._cache = (G, seen)
        return np.stack(outs)                                       # (G, B, T, C)

    def backward(self, dlogits: np.ndarray) -> None:
        """dlogits (G, B, T, C) -> parameter gradients (tokens have none).

        Walks the differentiated passes backwards: each gets the gradient of its own
        logits, of the state it handed on and, with feedback, of the probabilities it
        handed on (through the softmax into its logits).
        """
        G, seen = self._require_cache()
        de = np.zeros(dlogits.shape[1:3] + (self.token.E.value.shape[1],), dlogits.dtype)
        dx = dprobs = None
        for k in reversed(range(G)):
            dlog = dlogits[k]                                       # (B, T, C)
            if dprobs is not None:
                dlog = dlog + softmax.backward(None, seen[k], dprobs)
            de_k, dx, dprobs = self._graded[k].backward(dx, dlog)
            de += de_k
        self.token.backward(de)
        dpos = de.sum(0)                                            # (T, D)
        for table in self.positions:
            table.backward(dpos)

    def _pass_counts(self, passes, grad_passes) -> tuple[int, int]:
        P = self._args["n_loops"] if passes is None else passes
        G = P if grad_passes is None else grad_passes
        if not isinstance(P, (int, np.integer)) or P < 1:
            raise ValueError(f"passes must be a positive integer, got {passes!r}")
        if not isinstance(G, (int, np.integer)) or not 1 <= G <= P:
            raise ValueError(f"grad_passes must be an integer in 1..passes ({P}), got {grad_passes!r}")
        return int(P), int(G)

    # ---- the reference library's interface --------------------------------------

    def predict(self, tokens: np.ndarray, passes: int | None = None,
                state: RecurrentState | None = None) -> np.ndarray:
        """Class probabilities after the last of `passes` passes (default n_loops):
        (T,) -> (T, C) or (B, T) -> (B, T, C).

        Every pass but the last runs gradient-free; `state` continues an earlier call
        and `last_state` is left for the next. Large batches run in shards on threads.
        """
        tokens = np.asarray(tokens)
        batch = np.atleast_2d(tokens)
        if state is not None and len(state) != len(batch):
            raise ValueError(f"state holds {len(state)} sequences, tokens {len(batch)}")
        shards = parallel.shards(len(batch))
        if len(shards) == 1:
            with parallel.one_blas_thread():
                self.forward(batch, passes, 1, state)
        else:                                                       # shards on parallel threads
            replicas = self._replicas.get(len(shards))
            parallel.run(lambda rep, s: rep.forward(batch[s], passes, 1, _rows(state, s)),
                         replicas, shards)
            self._adopt(replicas)
        probs = self.last_state.probs                               # (B, T, C)
        self._single = tokens.ndim == 1
        return probs[0] if self._single else probs

    def loss(self, tokens, targets, mask=None, passes: int | None = None,
             grad_passes: int | None = None, state: RecurrentState | None = None) -> float:
        """Masked cross-entropy averaged over the differentiated passes, without touching
        gradients (the same loss `loss_and_grad` differentiates)."""
        tokens, targets, mask = self._batch(tokens, targets, mask)
        logits = self.forward(tokens, passes, grad_passes, state)
        return cross_entropy(logits, *_per_pass(logits, targets, mask))

    def loss_and_grad(self, tokens, targets, mask=None, passes: int | None = None,
                      grad_passes: int | None = None, state: RecurrentState | None = None) -> float:
        """Forward, loss and backward; gradients accumulate into every Param's .grad.

        A large batch is split into shards that run on parallel threads (see `parallel`);
        weighting each shard by its masked count gives the full batch's loss and gradient.
        """
        tokens, targets, mask = self._batch(tokens, targets, mask)
        run = (passes, grad_passes)
        shards = parallel.shards(len(tokens))
        counts = [float(mask[s].sum()) for s in shards]
        if len(shards) == 1 or min(counts) < 1:
            with parallel.one_blas_thread():
                return self._loss_and_grad(tokens, targets, mask, *run, state)
        weights = [c / sum(counts) for c in counts]
        replicas = self._replicas.get(len(shards))
        losses = parallel.run(lambda rep, s: rep._loss_and_grad(tokens[s], targets[s], mask[s],
                                                                *run, _rows(state, s)),
                              replicas, shards)
        self._replicas.add_grads(weights)
        self._adopt(replicas)
        return float(np.dot(weights, losses))

    def _loss_and_grad(self, tokens, targets, mask, passes, grad_passes, state) -> float:
        """loss_and_grad on the calling thread, for normalised (tokens, targets, mask)."""
        logits = self.forward(tokens, passes, grad_passes, state)
        targets, mask = _per_pass(logits, targets, mask)
        loss = cross_entropy(logits, targets, mask)
        self.backward(cross_entropy_delta(logits, targets, mask))
        return loss

    def _adopt(self, replicas: list) -> None:
        """After a sharded forward: the replicas hold its caches; join their states."""
        self._sharded, self._single = True, False
        self.last_state = RecurrentState.concatenate([r.last_state for r in replicas])

    def train(self, tokens, targets, lr: float | None = None, mask=None,
              passes: int | None = None, grad_passes: int | None = None,
              state: RecurrentState | None = None) -> float:
        """One step of the model's own optimizer on a batch; returns the loss before it.

        lr, if given, replaces the optimizer's base rate for this step (its schedule,
        if any, still applies).

        targets: class ids (B, T) / (T,), or the reference's flat one-hot (B, T*C) / (T*C,).
        mask: 1 where a token counts toward the loss (None: every token).
        passes, grad_passes, state: as in `forward`; the loss is the mean over the
        differentiated passes.
        """
        return self._train_step(
            lambda: self.loss_and_grad(tokens, targets, mask, passes, grad_passes, state), lr)

    def get_attention_weights(self) -> list[np.ndarray]:
        """Attention of the last forward, whichever call ran it: one array per block
        application of the differentiated passes, pass-major (`predict` keeps its last
        pass only; `forward(tokens, passes)` keeps every pass).

        Each is (B, H, T, T), or (H, T, T) after `predict` on a single sequence.
        """
        runs = self._replicas.copies if self._sharded else [self]
        if any(m._cache is None for m in runs):
            raise RuntimeError("get_attention_weights called before any forward pass")
        per_model = [[b.attention_weights for step in m._graded[:m._cache[0]] for b in step.blocks]
                     for m in runs]
        maps = per_model[0] if len(per_model) == 1 else [np.concatenate(m) for m in zip(*per_model)]
        return [m[0] for m in maps] if self._single else maps

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
        if self.feedback is not None:
            rows.append(("prediction feedback", f"(B, {T}, {D})", self.feedback.n_params()))
        if self.state_norm is not None:
            rows.append(("state norm", f"(B, {T}, {D})", self.state_norm.n_params()))
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


def _rows(state: RecurrentState | None, rows: slice) -> RecurrentState | None:
    return None if state is None else state[rows]


def _per_pass(logits: np.ndarray, targets: np.ndarray, mask: np.ndarray):
    """Targets and mask (B, T) repeated for every pass of logits (K, B, T, C): the loss
    is then the mean over masked tokens of all passes (deep supervision)."""
    lead = logits.shape[:-1]                                        # (K, B, T)
    return np.broadcast_to(targets, lead), np.broadcast_to(mask.astype(logits.dtype), lead)
