"""Optimizers over a flat list of parameters, global-norm clipping, and the LR schedule.

Each optimizer keeps its state in arrays parallel to the parameter list and updates
every array in one pass; there is never an object per weight or per layer. The optimizer
owns the learning rate, its optional schedule and the step count the schedule reads.
"""

from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import asdict, dataclass
from typing import Callable, Sequence, Union

import numpy as np

from .params import Param


Schedule = Callable[[int, float], float]        # (step, base_lr) -> lr of that step


class Optimizer:
    """Base: holds the parameters, the learning rate and its schedule; subclasses define
    `_update`.

    schedule: None for a constant rate, a `WarmupCosine` (or its settings as a dict), or
    any callable (step, base_lr) -> lr; step counts from 0 and is `t` before the update.
    """

    def __init__(self, lr: float, schedule: Schedule | dict | None = None):
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        self.lr = float(lr)
        self.schedule = WarmupCosine(**schedule) if isinstance(schedule, dict) else schedule
        self.params: list[Param] = []
        self.t = 0                                   # updates taken: the one step counter

    def bind(self, params: Sequence[Param]) -> "Optimizer":
        """Attaches the parameter list and allocates per-array state; returns self."""
        self.params = list(params)
        self.t = 0
        self._init_state()
        return self

    def current_lr(self, lr: float | None = None) -> float:
        """The rate the next step uses: lr (default self.lr) shaped by the schedule."""
        base = self.lr if lr is None else lr
        return base if self.schedule is None else self.schedule(self.t, base)

    def step(self, lr: float | None = None) -> None:
        """One update of every parameter from its `.grad`.

        lr replaces self.lr as the base rate for this step; the schedule still applies.
        """
        lr = self.current_lr(lr)
        self.t += 1
        for i, p in enumerate(self.params):
            self._update(i, p, lr)

    def train_step(self, loss_and_grad: Callable[[], float], lr: float | None = None,
                   clip: float = 0.0) -> float:
        """Zeroes the gradients, runs loss_and_grad() to fill them, clips their global
        norm to clip (0: no clipping) and steps; returns the loss."""
        self.zero_grad()
        loss = loss_and_grad()
        if clip:
            clip_grad_norm(self.params, clip)
        self.step(lr)
        return loss

    def zero_grad(self) -> None:
        for p in self.params:
            p.zero_grad()

    def config(self) -> dict | None:
        """Kind and settings as JSON-able values, which `make_optimizer` rebuilds from;
        None for a class it does not know by name."""
        kind = type(self).__name__.lower()
        if _BY_NAME.get(kind) is not type(self):
            return None
        names = [n for n in inspect.signature(type(self).__init__).parameters
                 if n not in ("self", "schedule")]
        return {"kind": kind, **{n: float(getattr(self, n)) for n in names},
                "schedule": _schedule_config(self.schedule)}

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

    def __init__(self, lr: float = 0.1, schedule: Schedule | dict | None = None):
        super().__init__(lr, schedule)

    def _update(self, i, p, lr):
        p.value -= lr * p.grad


class Momentum(Optimizer):
    """Heavy-ball momentum: v = beta * v + g; w -= lr * v."""

    def __init__(self, lr: float = 0.1, beta: float = 0.9,
                 schedule: Schedule | dict | None = None):
        super().__init__(lr, schedule)
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
                 eps: float = 1e-8, weight_decay: float = 0.0,
                 schedule: Schedule | dict | None = None):
        super().__init__(lr, schedule)
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
                 eps: float = 1e-8, weight_decay: float = 0.01,
                 schedule: Schedule | dict | None = None):
        super().__init__(lr, beta1, beta2, eps, weight_decay, schedule)


OptimizerSpec = Union[Optimizer, Callable[[], Optimizer], str, dict, None]

_BY_NAME = {"sgd": SGD, "momentum": Momentum, "adam": Adam, "adamw": AdamW}


def make_optimizer(spec: OptimizerSpec, params: Sequence[Param],
                   default: Callable[[], Optimizer] = Adam) -> Optimizer:
    """Builds and binds an optimizer from an instance, a factory, a name, a `config()`
    dict or None (the default)."""
    return resolve_optimizer(spec, default).bind(params)


def resolve_optimizer(spec: OptimizerSpec, default: Callable[[], Optimizer] = Adam) -> Optimizer:
    """The optimizer a spec describes, not yet bound to parameters (so without state)."""
    if spec is None:
        return default()
    if isinstance(spec, Optimizer):
        return spec
    if isinstance(spec, (str, dict)):
        settings = dict(spec) if isinstance(spec, dict) else {"kind": spec}
        kind = str(settings.pop("kind", "")).lower()
        if kind not in _BY_NAME:
            raise ValueError(f"unknown optimizer {kind!r}; choose from {sorted(_BY_NAME)}")
        try:
            return _BY_NAME[kind](**settings)
        except TypeError as e:
            raise ValueError(f"bad settings for optimizer {kind!r}: {e}") from None
    if callable(spec):
        opt = spec()
        if not isinstance(opt, Optimizer):
            raise ValueError(f"optimizer factory returned {type(opt).__name__}, not an Optimizer")
        return opt
    raise ValueError(f"optimizer must be an Optimizer, a factory, a name or a dict, got {spec!r}")


class OwnOptimizer:
    """For a model whose `train()` takes an optimizer step by itself, the reference
    library's one-call convenience.

    That step's optimizer comes from the model's `optimizer=` spec (or its class's
    `default_optimizer`); a bad spec is refused when the model is built, and the optimizer
    gets its state on the first `train()`. It belongs to that path alone: a training loop
    with its own optimizer and clipping steps `loss_and_grad` and never touches it.
    """

    default_optimizer: Callable[[], Optimizer] = Adam
    train_clip = 0.0                   # `train()` clips the global gradient norm here (0: never)

    def _own_optimizer(self, spec: OptimizerSpec) -> None:
        self._optimizer_given = spec is not None
        self._optimizer = resolve_optimizer(spec, type(self).default_optimizer)
        self._optimizer_bound = False

    @property
    def optimizer(self) -> Optimizer:
        """The optimizer `train()` steps, bound to the parameters on first use."""
        if not self._optimizer_bound:
            self._optimizer.bind(self.params())
            self._optimizer_bound = True
        return self._optimizer

    def _optimizer_config(self) -> dict | None:
        """The `optimizer=` the model was given, for its config (None: the default)."""
        return self._optimizer.config() if self._optimizer_given else None

    def _train_step(self, loss_and_grad: Callable[[], float], lr: float | None) -> float:
        return self.optimizer.train_step(loss_and_grad, lr, self.train_clip)

    @classmethod
    def from_config(cls, args: dict):
        """The model a saved config describes. Configs written while the model owned its
        training policy are read too: `clip` is dropped (a training loop's setting now)
        and `lr`/`warmup` become the Adam they built."""
        args = dict(args)
        args.pop("clip", None)
        lr, warmup = args.pop("lr", None), args.pop("warmup", None)
        if (lr is not None or warmup) and args.get("optimizer") is None:
            default = cls.default_optimizer()
            args["optimizer"] = Adam(lr=default.lr if lr is None else lr,
                                     schedule=WarmupCosine(int(warmup)) if warmup else None)
        return cls(**args)


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
    """Linear warmup to base_lr over `warmup` steps, then cosine decay to min_ratio * base_lr
    at step `total` (no decay when total <= warmup)."""
    if warmup > 0 and step < warmup:
        return base_lr * (step + 1) / warmup
    if total <= warmup:
        return base_lr
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return base_lr * (min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


@dataclass(frozen=True)
class WarmupCosine:
    """`warmup_cosine` with its settings bound: an optimizer's schedule, saved with it."""

    warmup: int = 0
    total: int = 0
    min_ratio: float = 0.1

    def __call__(self, step: int, base_lr: float) -> float:
        return warmup_cosine(step, base_lr, self.warmup, self.total, self.min_ratio)


def _schedule_config(schedule) -> dict | None:
    """A schedule's settings for a model file; a custom callable cannot be saved."""
    if schedule is None:
        return None
    if isinstance(schedule, WarmupCosine):
        return asdict(schedule)
    warnings.warn(f"the learning-rate schedule {schedule!r} is not a WarmupCosine and is "
                  "not saved; the loaded optimizer has none", RuntimeWarning, stacklevel=4)
    return None
