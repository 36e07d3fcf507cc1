"""Recurrent depth: the same blocks run pass after pass over a carried state.

A pass reads the state carried from the pass before (`x`), optionally normalised,
adds the input embedding back in and, with prediction feedback, a learned projection of
the previous pass's class probabilities; it runs the weight-tied blocks and reads out
logits:

    h = norm(x) + e + probs @ W_fb    (x, probs: the previous pass's; absent on the first)
    x' = blocks(h)                    the new carried state
    logits = head(ln_f(x'))           a prediction after every pass

Pre-norm residual blocks only ever add to x, so without the state norm its size grows
with every pass and the embedding added back in weighs less and less; `norm(x)` (a
LayerNorm) keeps every pass's input on the same scale however many passes ran before.
(Measured in the README's recurrence ablation: it bounds the state, but accuracy past
the trained depth falls faster with it, so it is off by default.)

`RecurrentState` is what one call hands to the next (x' and softmax(logits)), so a model
can go on refining the same inputs later: more passes at inference, or training that
continues the same batch across optimizer steps with the state detached.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import Module


@dataclass
class RecurrentState:
    """The state after a pass: x (B, T, D) and the class probabilities probs (B, T, C)."""

    x: np.ndarray
    probs: np.ndarray

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, rows) -> "RecurrentState":
        """The state of some batch rows (a slice or an index array)."""
        return RecurrentState(self.x[rows], self.probs[rows])

    @staticmethod
    def concatenate(states: list["RecurrentState"]) -> "RecurrentState":
        return RecurrentState(np.concatenate([s.x for s in states]),
                              np.concatenate([s.probs for s in states]))


class RecurrentPass(Module):
    """One pass over shared modules: (e, x, probs) -> (x', logits).

    blocks: the Transformer blocks; ln_f: the final LayerNorm or None; head: state ->
    logits; feedback: probs -> state, or None for no prediction feedback; state_norm:
    applied to the carried state before it is read, or None. A model holds
    one pass per application it must differentiate (each with its own caches, sharing
    every Param through `tied_copy`).
    """

    def __init__(self, blocks: list[Module], ln_f: Module | None, head: Module,
                 feedback: Module | None, state_norm: Module | None = None):
        self.blocks, self.ln_f, self.head, self.feedback = blocks, ln_f, head, feedback
        self.state_norm = state_norm
        self._cache = None

    def forward(self, e: np.ndarray, x: np.ndarray | None, probs: np.ndarray | None):
        """e (B, T, D), x (B, T, D) or None, probs (B, T, C) or None -> x' (B, T, D), logits (B, T, C)."""
        if x is None:
            h = e                                                   # (B, T, D)
        else:
            h = (x if self.state_norm is None else self.state_norm.forward(x)) + e
        fed = self.feedback is not None and probs is not None
        if fed:
            h = h + self.feedback.forward(probs)
        for block in self.blocks:
            h = block.forward(h)
        out = h if self.ln_f is None else self.ln_f.forward(h)
        self._cache = (x is not None, fed)
        return h, self.head.forward(out)                            # (B, T, D), (B, T, C)

    def backward(self, dx_next: np.ndarray | None, dlogits: np.ndarray):
        """Gradients from the next pass (dx_next, None for the last) and from this pass's
        logits -> (de, dx, dprobs): for the input embedding, the carried state (None when
        the pass started from nothing) and the previous probabilities (None without feedback)."""
        had_x, fed = self._require_cache()
        dh = self.head.backward(dlogits)                            # (B, T, D)
        if self.ln_f is not None:
            dh = self.ln_f.backward(dh)
        if dx_next is not None:
            dh = dh + dx_next
        for block in reversed(self.blocks):
            dh = block.backward(dh)
        dprobs = self.feedback.backward(dh) if fed else None       # (B, T, C)
        dx = None
        if had_x:
            dx = dh if self.state_norm is None else self.state_norm.backward(dh)
        return dh, dx, dprobs

    def release(self) -> None:
        """Drops every cache of this pass (after gradient-free passes, nothing needs them)."""
        for _, module in self.named_modules():
            if "_cache" in vars(module):
                module._cache = None
