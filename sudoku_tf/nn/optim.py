"""Optimizers over a flat list of parameters, global-norm clipping, and the LR schedule.

Each optimizer keeps its state in arrays parallel to the parameter list and updates
every array in one pass; there is never an object per weight or per layer.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence, Union

import numpy as np

from .params import Param


class Optimizer:
    """Base: holds the parameters and the learning rate; subclasses define `_update`."""

    def __init__(self, lr: float):
        if lr <= 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        self.lr = lr
        self.params: list[Param] = []
        self.t = 0

    def bind(self, params: Sequence[Param]) -> "Optimizer":
        """Attaches the parameter list and allocates per-array state; returns self."""
        self.params = list(params)
        self.t = 0
        self._init_state()
        return self

    def step(self, lr: float | None = None) -> None:
        """One update of every parameter from its `.grad` (lr overrides self.lr once)."""
        self.t += 1
        lr = self.lr if lr is None else lr
        for i, p in enumerate(self.params):
            self._update(i, p, lr)

    def zero_grad(self) -> None:
        for p in self.params:
            p.zero_grad()

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Every state array by a stable key, for checkpoints."""
        out = {"t": np.array(self.t)}
        for key, arrays in self._state().items():
            for i, a in enumerate(arrays):
                out[f"{key}.{i}"] = a
        return out

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.t = int(arrays["t"])
        for key, state in self._state().items():
            for i, a in enumerate(state):
                a[...] = arrays[f"{key}.{i}"]

    def _init_state(self) -> None:
        pass

    def _state(self) -> dict[str, list[np.ndarray]]:
        return {}

    def _update(self, i: int, p: Param, lr: float) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Plain gradient descent: w -= lr * g."""

    def __init__(self, lr: float = 0.1):
        super().__init__(lr)

    def _update(self, i, p, lr):
        p.value -= lr * p.grad


class Momentum(Optimizer):
    """Heavy-ball momentum: v = beta * v + g; w -= lr * v."""

    def __init__(self, lr: float = 0.1, beta: float = 0.9):
        super().__init__(lr)
        self.beta = beta

    def _init_state(self):
        self.v = [np.zeros_like(p.value) for p in self.params]

    def _state(self):
        return {"v": self.v}

    def _update(self, i, p, lr):
        v = self.v[i]
        v *= self.beta
        v += p.grad
        p.value -= lr * v


class Adam(Optimizer):
    """Adam with bias correction; AdamW adds decoupled weight decay."""

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.weight_decay = weight_decay

    def _init_state(self):
        self.m = [np.zeros_like(p.value) for p in self.params]
        self.v = [np.zeros_like(p.value) for p in self.params]

    def _state(self):
        return {"m": self.m, "v": self.v}

    def _update(self, i, p, lr):
        g, m, v = p.grad, self.m[i], self.v[i]
        # one scratch array and in-place ops: no temporary per term
        tmp = np.multiply(g, 1 - self.beta1)
        m *= self.beta1
        m += tmp                                     # m = b1 m + (1 - b1) g
        np.multiply(g, g, out=tmp)
        tmp *= 1 - self.beta2
        v *= self.beta2
        v += tmp                                     # v = b2 v + (1 - b2) g^2
        # bias-corrected step size folds both corrections into one scalar
        step = lr * math.sqrt(1 - self.beta2 ** self.t) / (1 - self.beta1 ** self.t)
        if self.weight_decay and p.value.ndim > 1:   # decay matrices, not biases or gains
            p.value *= 1 - lr * self.weight_decay
        np.sqrt(v, out=tmp)
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= step
        p.value -= tmp                               # w -= step * m / (sqrt(v) + eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (0.01 unless given) on matrices only."""

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.01):
        super().__init__(lr, beta1, beta2, eps, weight_decay)


OptimizerSpec = Union[Optimizer, Callable[[], Optimizer], str, None]

_BY_NAME = {"sgd": SGD, "momentum": Momentum, "adam": Adam, "adamw": AdamW}


def make_optimizer(spec: OptimizerSpec, params: Sequence[Param],
                   default: Callable[[], Optimizer] = Adam) -> Optimizer:
    """Builds and binds an optimizer from an instance, a factory, a name or None."""
    if spec is None:
        opt = default()
    elif isinstance(spec, Optimizer):
        opt = spec
    elif isinstance(spec, str):
        if spec.lower() not in _BY_NAME:
            raise ValueError(f"unknown optimizer {spec!r}; choose from {sorted(_BY_NAME)}")
        opt = _BY_NAME[spec.lower()]()
    elif callable(spec):
        opt = spec()
        if not isinstance(opt, Optimizer):
            raise ValueError(f"optimizer factory returned {type(opt).__name__}, not an Optimizer")
    else:
        raise ValueError(f"optimizer must be an Optimizer, a factory or a name, got {spec!r}")
    return opt.bind(params)


def clip_grad_norm(params: Sequence[Param], max_norm: float) -> float:
    """Scales all gradients together so their global L2 norm is at most max_norm.

    Returns the norm before clipping.
    """
    total = math.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in params))
    if max_norm > 0 and total > max_norm:
        scale = max_norm / (total + 1e-12)
        for p in params:
            p.grad *= scale
    return total


def warmup_cosine(step: int, base_lr: float, warmup: int, total: int,
                  min_ratio: float = 0.1) -> float:
    """Linear warmup to base_lr over `warmup` steps, then cosine decay to min_ratio * base_lr."""
    if warmup > 0 and step < warmup:
        return base_lr * (step + 1) / warmup
    if total <= warmup:
        return base_lr
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return base_lr * (min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))
