"""The mini-batch training loop shared by the dense models, and its per-epoch History.

`fit` only needs a model with `train(x, y, lr) -> loss`, `loss(x, y)` and `params()`
(and restores an `optimizer`'s state with the weights, if the model has one);
it knows nothing of layers.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from tqdm import tqdm

from .params import as_generator

NON_FINITE_HINT = ("usual causes: a learning rate too high, inputs not scaled "
                   "(to about [-1, 1], or zero mean and unit variance), "
                   "or targets outside the output activation's range")


@dataclass
class History:
    """What `fit` measured, one entry per epoch, and why it stopped."""

    loss: list[float] = field(default_factory=list)       # mean training loss of the epoch
    val_loss: list[float] = field(default_factory=list)   # empty without validation data
    time: list[float] = field(default_factory=list)       # seconds since fit started
    # "epochs", "error_threshold", "timeout", "early_stopping", "callback" or "non_finite"
    stop_reason: str = "epochs"
    best_epoch: int | None = None                         # whose weights were restored (0: the initial)

    def __len__(self) -> int:
        return len(self.loss)

    def epoch(self, epoch: int) -> dict:
        """Epoch (1-based) as a dict: epoch, loss, val_loss (or None), time."""
        i = epoch - 1
        return {"epoch": epoch, "loss": self.loss[i],
                "val_loss": self.val_loss[i] if self.val_loss else None, "time": self.time[i]}


def fit(model, X, Y, *, epochs: int = 100, batch_size: int | None = 32,
        lr: float | None = None, validation_data: tuple | None = None, shuffle: bool = True,
        error_threshold: float | None = None, timeout: float | None = None,
        patience: int | None = None, verbose: int = 0,
        callback: Callable[[int, dict], bool | None] | None = None, callback_every: int = 1,
        rng=None, clock: Callable[[], float] = time.perf_counter) -> History:
    """Trains model on (X, Y) in shuffled mini-batches and returns the History.

    Training stops early when the epoch's loss reaches `error_threshold`, when `timeout`
    seconds have passed (checked after each epoch), when the monitored loss (val_loss
    with validation_data, else loss) has not improved for `patience` epochs (the best
    weights are then restored), when `callback(epoch, record)`, called every
    `callback_every` epochs, returns True, or when the loss becomes NaN or infinite
    (with a warning naming the usual causes; the best weights, or else those after the
    last finite epoch, are restored). batch_size=None trains on the full batch.
    verbose: 0 silent, 1 a progress bar on stderr, 2 one line per epoch on stderr.
    `clock` (seconds) times the epochs for `timeout` and the History.
    """
    X, Y = _check_data(X, Y, "X, Y")
    if validation_data is not None:
        X_val, Y_val = _check_data(*_pair(validation_data), "validation_data")
    batch = len(X) if batch_size is None else batch_size
    counts = {"epochs": epochs, "batch_size": batch, "callback_every": callback_every,
              "patience": 1 if patience is None else patience}
    for name, value in counts.items():
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    rng = as_generator(rng)
    best = _BestWeights(model) if patience is not None else None
    finite = _Snapshot(model)                                     # weights after the last finite epoch
    history = History()
    bar = tqdm(total=epochs, unit="epoch", file=sys.stderr, disable=verbose != 1)
    start = clock()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
        history.loss.append(_run_epoch(model, X, Y, order, batch, lr))
        if validation_data is not None:
            history.val_loss.append(model.loss(X_val, Y_val))
        history.time.append(clock() - start)
        record = history.epoch(epoch)
        _report(record, epochs, verbose, bar)
        reason = _stop_reason(record, best, patience, error_threshold, timeout,
                              callback if epoch % callback_every == 0 else None)
        if reason:
            history.stop_reason = reason
            break
        finite.take(epoch)
    bar.close()
    if best is not None and best.epoch is not None:
        best.restore()
        history.best_epoch = best.epoch
    elif history.stop_reason == "non_finite":
        finite.restore()
        history.best_epoch = finite.epoch
    if verbose and history.stop_reason != "epochs":
        print(f"stopped after epoch {len(history)}: {history.stop_reason}", file=sys.stderr)
    return history


def _run_epoch(model, X, Y, order: np.ndarray, batch: int, lr) -> float:
    """One pass over the data; the size-weighted mean batch loss (or the first non-finite one)."""
    total = 0.0
    for start in range(0, len(order), batch):
        idx = order[start:start + batch]
        loss = model.train(X[idx], Y[idx], lr)
        if not math.isfinite(loss):
            return loss
        total += loss * len(idx)
    return total / len(order)


def _stop_reason(record: dict, best, patience, error_threshold, timeout, callback) -> str | None:
    """Why training should stop after this epoch, or None to go on."""
    loss, val_loss = record["loss"], record["val_loss"]
    monitored = loss if val_loss is None else val_loss
    if not (math.isfinite(loss) and math.isfinite(monitored)):
        warnings.warn(f"fit: the loss became {monitored if math.isfinite(loss) else loss} "
                      f"in epoch {record['epoch']}, training stopped; {NON_FINITE_HINT}",
                      RuntimeWarning, stacklevel=4)
        return "non_finite"
    if best is not None and best.update(monitored, record["epoch"]) >= patience:
        return "early_stopping"
    if error_threshold is not None and loss <= error_threshold:
        return "error_threshold"
    if callback is not None and callback(record["epoch"], record):
        return "callback"
    if timeout is not None and record["time"] >= timeout:
        return "timeout"
    return None


def _report(record: dict, epochs: int, verbose: int, bar) -> None:
    """Progress: the bar's postfix (verbose 1) or one line on stderr (verbose 2)."""
    shown = {"loss": f"{record['loss']:.4g}"}
    if record["val_loss"] is not None:
        shown["val_loss"] = f"{record['val_loss']:.4g}"
    if verbose == 1:
        bar.set_postfix(shown, refresh=False)
        bar.update()
    elif verbose >= 2:
        fields = "  ".join(f"{k} {v}" for k, v in shown.items())
        print(f"epoch {record['epoch']}/{epochs}  {fields}  {record['time']:.2f}s", file=sys.stderr)


class _Snapshot:
    """A copy of a model's weights and optimizer state, and the epoch it was taken after."""

    def __init__(self, model):
        self.params = model.params()
        self.optimizer = getattr(model, "optimizer", None)
        self.take(0)

    def take(self, epoch: int) -> None:
        self.epoch = epoch
        self.values = [p.value.copy() for p in self.params]
        self.state = ({k: v.copy() for k, v in self.optimizer.state_arrays().items()}
                      if self.optimizer is not None else None)

    def restore(self) -> None:
        for p, value in zip(self.params, self.values):
            p.value[...] = value
        if self.state is not None:
            self.optimizer.load_state_arrays(self.state)


class _BestWeights:
    """The weights (and optimizer state) at the lowest monitored loss so far."""

    def __init__(self, model):
        self.value = math.inf
        self.epoch: int | None = None
        self.snapshot = _Snapshot(model)

    def update(self, value: float, epoch: int) -> int:
        """Keeps a copy if value is the best so far; returns epochs since the best."""
        if value < self.value:
            self.value, self.epoch = value, epoch
            self.snapshot.take(epoch)
        return epoch - self.epoch

    def restore(self) -> None:
        self.snapshot.restore()


def _pair(data) -> tuple:
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError("validation_data must be a pair (X_val, Y_val)")
    return tuple(data)


def _check_data(X, Y, what: str) -> tuple[np.ndarray, np.ndarray]:
    X, Y = np.asarray(X), np.asarray(Y)
    if X.ndim == 0 or Y.ndim == 0 or len(X) == 0:
        raise ValueError(f"{what}: no samples")
    if len(X) != len(Y):
        raise ValueError(f"{what}: {len(X)} inputs but {len(Y)} targets")
    return X, Y
