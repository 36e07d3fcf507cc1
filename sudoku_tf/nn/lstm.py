"""Recurrent layers: `LSTMLayer` (a batched LSTM trained by backpropagation through time)
and `NetworkLSTM` (an LSTM with a dense head, driven one step at a time)."""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np

from .activations import sigmoid, tanh
from .dense import Layer
from .matrices import WeightMatrix
from .losses import mse, mse_delta
from .optim import Adam, OptimizerSpec, OwnOptimizer
from .params import Module, as_generator


class LSTMLayer(Module):
    """An LSTM cell run over time: steps (B, n_in) -> hidden states (B, n_hidden).

    The state (h, c) carries over between `step` calls. Every step since the last
    `reset_state` or `truncate` is recorded, and `backward` runs backpropagation through
    time over all of them. One fused matrix makes the gates from [x, h], in the order
    input, forget, output (sigmoids), candidate (tanh). `clip` bounds the weights
    (see `WeightMatrix.apply_clip`).
    """

    def __init__(self, n_in: int, n_hidden: int, clip: float | None = None, seed=None):
        self.gates = WeightMatrix(n_in + n_hidden, 4 * n_hidden, clip=clip, seed=seed)
        self.gates.b.value[n_hidden:2 * n_hidden] = 1.0       # forget gate starts open
        self.n_in, self.n_hidden = n_in, n_hidden
        self.h = self.c = None                                # (B, n_hidden) once stepped
        self._cache = None                                    # one record per step

    def reset_state(self) -> None:
        """Zeroes the state and forgets the recorded steps (a new episode)."""
        self.h = self.c = None
        self._cache = None

    def truncate(self) -> None:
        """Forgets the recorded steps but keeps the state: BPTT will stop here."""
        self._cache = None

    def step(self, x: np.ndarray) -> np.ndarray:
        """One time step from the current state: x (B, n_in) -> h (B, n_hidden)."""
        W, b = self.gates.W.value, self.gates.b.value
        x = np.asarray(x, dtype=W.dtype)
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(f"LSTM step expects inputs (B, {self.n_in}), got shape {x.shape}")
        B, nh = x.shape[0], self.n_hidden
        if self.h is None:
            self.h = self.c = np.zeros((B, nh), W.dtype)
        elif self.h.shape[0] != B:
            raise ValueError(f"batch of {B} inside an episode of batch {self.h.shape[0]}; "
                             "call reset_state() first")
        xh = np.concatenate([x, self.h], axis=1)              # (B, n_in + n_hidden)
        z = xh @ W + b                                        # (B, 4 n_hidden)
        a = np.concatenate([sigmoid(z[:, :3 * nh]), tanh(z[:, 3 * nh:])], axis=1)
        i, f, o, g = (a[:, k * nh:(k + 1) * nh] for k in range(4))
        c_prev = self.c
        self.c = f * c_prev + i * g                           # (B, n_hidden)
        tc = tanh(self.c)
        self.h = o * tc
        if self._cache is None:
            self._cache = []
        self._cache.append((xh, z, a, c_prev, tc))
        return self.h

    def forward(self, x: np.ndarray) -> np.ndarray:
        """A whole sequence from a zero state: x (B, T, n_in) -> h (B, T, n_hidden)."""
        self.reset_state()
        return np.stack([self.step(x[:, t]) for t in range(x.shape[1])], axis=1)

    def backward(self, dh: np.ndarray) -> np.ndarray:
        """dL/dh for every recorded step (B, T, n_hidden) -> dL/dx (B, T, n_in).

        Walking back in time, each step's h and c also receive the gradient flowing from
        the step after it; c_t = f c_{t-1} + i g and h_t = o tanh(c_t) give the rest.
        """
        steps = self._require_cache()
        B, T, nh = dh.shape
        if T != len(steps):
            raise ValueError(f"backward got {T} steps of gradient for {len(steps)} recorded steps")
        W = self.gates.W.value
        dz = np.empty((T, B, 4 * nh), dh.dtype)               # gate pre-activation grads
        dx = np.empty((B, T, self.n_in), dh.dtype)
        dh_next = np.zeros((B, nh), dh.dtype)
        dc_next = np.zeros((B, nh), dh.dtype)
        for t in reversed(range(T)):
            _, z, a, c_prev, tc = steps[t]
            i, f, o, g = (a[:, k * nh:(k + 1) * nh] for k in range(4))
            dht = dh[:, t] + dh_next
            dc = dc_next + dht * o * (1 - tc * tc)            # through h = o tanh(c)
            da = np.concatenate([dc * g, dc * c_prev, dht * tc, dc * i], axis=1)  # (B, 4 nh)
            dz[t, :, :3 * nh] = sigmoid.backward(z[:, :3 * nh], a[:, :3 * nh], da[:, :3 * nh])
            dz[t, :, 3 * nh:] = tanh.backward(z[:, 3 * nh:], a[:, 3 * nh:], da[:, 3 * nh:])
            dxh = dz[t] @ W.T                                 # (B, n_in + n_hidden)
            dx[:, t], dh_next = dxh[:, :self.n_in], dxh[:, self.n_in:]
            dc_next = dc * f
        xh = np.stack([s[0] for s in steps])                  # (T, B, n_in + n_hidden)
        self.gates.W.grad += xh.reshape(T * B, -1).T @ dz.reshape(T * B, -1)
        self.gates.b.grad += dz.sum((0, 1))
        return dx


class NetworkLSTM(OwnOptimizer, Module):
    """An LSTM followed by dense layers, fed one step at a time: `predict` then `train`.

    `predict(x)` advances the persistent state and records the step; `train(targets)`
    backpropagates through every recorded step (mean squared error on the dense output,
    skipping steps whose target is None), then starts a new record while keeping the
    state. Call `reset_state()` between episodes. x is (n_in,) or a batch (B, n_in).

    dense_activation: one activation name for every dense layer, or one per layer.
    weight_clip: bound on the LSTM weights after each update.
    optimizer: what `train()` steps (see `OwnOptimizer`), by default Adam at 0.01; it
    clips the global gradient norm at 5.
    """

    default_optimizer = functools.partial(Adam, lr=0.01)
    train_clip = 5.0

    def __init__(self, n_in: int, n_hidden: int, dense_sizes: Sequence[int] = (1,),
                 dense_activation: str | Sequence[str] = "sigmoid",
                 weight_clip: float | None = None, optimizer: OptimizerSpec = None, seed=None):
        dense_sizes = [int(n) for n in dense_sizes]
        if any(n <= 0 for n in [n_in, n_hidden, *dense_sizes]) or not dense_sizes:
            raise ValueError(f"n_in, n_hidden and dense_sizes must be positive, got "
                             f"{n_in}, {n_hidden}, {dense_sizes}")
        n_in, n_hidden = int(n_in), int(n_hidden)
        acts = ([dense_activation] * len(dense_sizes) if isinstance(dense_activation, str)
                else list(dense_activation))
        if len(acts) != len(dense_sizes):
            raise ValueError(f"{len(dense_sizes)} dense layers need {len(dense_sizes)} "
                             f"activations, got {acts}")
        rng = as_generator(seed)
        self.lstm = LSTMLayer(n_in, n_hidden, clip=weight_clip, seed=rng)
        sizes = [n_hidden] + dense_sizes
        self.dense = [Layer(a, b, act, seed=rng) for a, b, act in zip(sizes[:-1], sizes[1:], acts)]
        self._args = dict(n_in=n_in, n_hidden=n_hidden, dense_sizes=dense_sizes,
                          dense_activation=[layer.activation.name for layer in self.dense],
                          weight_clip=None if weight_clip is None else float(weight_clip))
        self._own_optimizer(optimizer)
        self._cache = None                                    # hidden states of the episode

    def config(self) -> dict:
        return {**self._args, "optimizer": self._optimizer_config()}

    def reset_state(self) -> None:
        """Starts a new episode: zero state, nothing recorded."""
        self.lstm.reset_state()
        self._cache = None

    def predict(self, x) -> np.ndarray:
        """One step: x (n_in,) -> (n_out,), or (B, n_in) -> (B, n_out). Recorded for train."""
        x = np.asarray(x)
        h = self.lstm.step(np.atleast_2d(x))                  # (B, n_hidden)
        if self._cache is None:
            self._cache = []
        self._cache.append(h)
        out = self._head(h)                                   # (B, n_out)
        return out[0] if x.ndim < 2 else out

    def loss(self, targets_per_step) -> float:
        """Mean squared error over the recorded steps, without touching gradients."""
        h, targets, mask = self._episode(targets_per_step)
        return mse(self._head(h), targets, mask)

    def loss_and_grad(self, targets_per_step) -> float:
        """Loss and BPTT over the recorded steps; gradients accumulate into every Param."""
        h, targets, mask = self._episode(targets_per_step)
        out = self._head(h)                                   # (B, T, n_out)
        dy = mse_delta(out, targets, mask)
        for layer in reversed(self.dense):
            dy = layer.backward(dy)
        self.lstm.backward(dy)
        return mse(out, targets, mask)

    def train(self, targets_per_step, lr: float | None = None) -> float:
        """One step of the model's own optimizer from the recorded episode; returns the
        loss before it.

        targets_per_step: one entry per `predict` since the last reset or train, each
        None (no target at that step), a scalar, (n_out,) or (B, n_out). lr, if given,
        replaces the optimizer's base rate for this step.
        """
        loss = self._train_step(lambda: self.loss_and_grad(targets_per_step), lr)
        self.lstm.gates.apply_clip()
        self.lstm.truncate()
        self._cache = None
        return loss

    def summary(self) -> str:
        """Parameters per part and the output shape of each."""
        a = self._args
        rows = [("lstm", f"(B, {a['n_hidden']})", self.lstm.n_params())]
        rows += [(f"dense.{i} ({act})", f"(B, {n})", layer.n_params())
                 for i, (layer, n, act) in enumerate(zip(self.dense, a["dense_sizes"],
                                                         a["dense_activation"]))]
        return self._summary_table(
            f"NetworkLSTM  input (B, {a['n_in']}), BPTT over the recorded steps", rows)

    def _head(self, h: np.ndarray) -> np.ndarray:
        for layer in self.dense:
            h = layer.forward(h)
        return h

    def _episode(self, targets_per_step):
        """The recorded hidden states (B, T, n_hidden), targets (B, T, n_out), mask (B, T)."""
        hs = self._cache
        if not hs:
            raise RuntimeError("no steps recorded since the last reset_state or train; "
                               "call predict first")
        if len(targets_per_step) != len(hs):
            raise ValueError(f"got {len(targets_per_step)} targets for {len(hs)} recorded steps")
        B, dtype = hs[0].shape[0], hs[0].dtype
        n_out = self._args["dense_sizes"][-1]
        targets = np.zeros((B, len(hs), n_out), dtype)
        mask = np.zeros((B, len(hs)), dtype)
        for t, y in enumerate(targets_per_step):
            if y is None:
                continue
            y = np.asarray(y, dtype)
            if n_out == 1 and y.shape == (B,) and B > 1:
                y = y[:, None]                                # one value per sample
            try:
                targets[:, t] = y
            except ValueError:
                raise ValueError(f"target of step {t} has shape {y.shape}; expected a "
                                 f"scalar, ({n_out},) or ({B}, {n_out})") from None
            mask[:, t] = 1
        return np.stack(hs, axis=1), targets, mask
