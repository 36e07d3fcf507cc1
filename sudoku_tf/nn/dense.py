"""Fully connected layers and the models built from them: Neuron .. NetworkN.

`Layer` is the building block (forward caches, backward accumulates). `NetworkN` is the
deep MLP every other dense model specialises; the training loop lives in `fit.py` and
the drawing in `svg.py`.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .activations import Activation, get_activation, sigmoid, softmax
from .fit import History, fit
from .losses import (binary_cross_entropy, binary_cross_entropy_delta, cross_entropy,
                     cross_entropy_delta, mse, mse_delta)
from .optim import SGD, OptimizerSpec, OwnOptimizer
from .params import Module, Param, as_generator
from .svg import network_svg

# loss name -> (loss, delta, the output activation it is fused with; None: any output)
LOSSES = {"mse": (mse, mse_delta, None),
          "cross_entropy": (cross_entropy, cross_entropy_delta, softmax),
          "binary_cross_entropy": (binary_cross_entropy, binary_cross_entropy_delta, sigmoid)}


class Layer(Module):
    """n_out neurons sharing n_in inputs: (..., n_in) -> (..., n_out)."""

    def __init__(self, n_in: int, n_out: int, activation: str | Activation = "sigmoid",
                 seed=None):
        _check_sizes([n_in, n_out])
        self.n_in, self.n_out = n_in, n_out
        # Xavier (Glorot) uniform: keeps the activation variance steady across layers
        limit = math.sqrt(6.0 / (n_in + n_out))
        self.W = Param("W", as_generator(seed).uniform(-limit, limit, (n_in, n_out)).astype(np.float32))
        self.b = Param("b", np.zeros(n_out, np.float32))
        self.activation = get_activation(activation)
        self._cache = None

    def config(self) -> dict:
        return {"n_in": self.n_in, "n_out": self.n_out, "activation": self.activation.name}

    def forward(self, x) -> np.ndarray:
        """(..., n_in) -> (..., n_out); inputs are cast to the weights' dtype."""
        x = np.asarray(x, dtype=self.W.value.dtype)
        if x.ndim == 0 or x.shape[-1] != self.n_in:
            raise ValueError(f"expected inputs of length {self.n_in} on the last axis, "
                             f"got shape {x.shape}")
        z = x @ self.W.value + self.b.value                      # (..., n_out)
        y = self.activation(z)
        self._cache = (x, z, y)
        return y

    @property
    def pre_activation(self) -> np.ndarray:
        """z = x W + b from the last forward (the logits of a softmax layer)."""
        return self._require_cache()[1]

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dL/dy (..., n_out) -> dL/dx (..., n_in), accumulating dW and db."""
        _, z, y = self._require_cache()
        return self.backward_pre(self.activation.backward(z, y, dy))

    def backward_pre(self, dz: np.ndarray) -> np.ndarray:
        """Backward from dL/dz, the gradient at the pre-activation (e.g. a fused softmax delta)."""
        x = self._require_cache()[0]
        x2 = x.reshape(-1, self.n_in)                            # (B, n_in), B = all leading axes
        dz2 = dz.reshape(-1, self.n_out)                         # (B, n_out)
        self.W.grad += x2.T @ dz2
        self.b.grad += dz2.sum(0)
        return dz @ self.W.value.T                               # (..., n_in)


class NetworkN(OwnOptimizer, Module):
    """A deep MLP from a list of sizes: predict, train, train_with_deltas, fit.

    activations: one name for every layer, or one per layer; by default tanh in the
    hidden layers and sigmoid at the output.
    loss: "mse" (any output), "cross_entropy" (softmax output; targets class indices or
    one-hot) or "binary_cross_entropy" (sigmoid output; targets in [0, 1]). The last two
    are fused with their activation, so the output delta is p - y and never saturates.
    None picks cross_entropy for a softmax output and mse for any other.
    optimizer: what `train` and `fit` step (see `OwnOptimizer`): an Optimizer, a factory,
    a name ("sgd", "momentum", "adam", "adamw") or None for SGD.
    """

    default_optimizer = SGD

    def __init__(self, sizes: Sequence[int], activations: str | Sequence[str] | None = None,
                 optimizer: OptimizerSpec = None, seed=None, loss: str | None = None):
        sizes = _check_sizes(sizes)
        acts = _layer_activations(activations, len(sizes) - 1)
        self._loss = _check_loss(loss, acts[-1])
        self._rng = as_generator(seed)
        self._seed = seed if isinstance(seed, int) else None
        self.layers = [Layer(n_in, n_out, act, seed=self._rng)
                       for n_in, n_out, act in zip(sizes[:-1], sizes[1:], acts)]
        self._own_optimizer(optimizer)

    @property
    def sizes(self) -> list[int]:
        return [self.layers[0].n_in] + [layer.n_out for layer in self.layers]

    @property
    def loss_name(self) -> str:
        return self._loss

    def config(self) -> dict:
        return {"sizes": self.sizes,
                "activations": [layer.activation.name for layer in self.layers],
                **self._training_config()}

    def _training_config(self) -> dict:
        """The loss, the optimizer's kind and settings and the int seed, for every config."""
        return {"loss": self._loss, "optimizer": self._optimizer_config(), "seed": self._seed}

    def forward(self, x) -> np.ndarray:
        """(..., n_in) -> (..., n_out), caching every layer for backward."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dL/d(output) -> dL/d(input), accumulating every layer's gradients."""
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy

    def predict(self, x) -> np.ndarray:
        """The network's output for one sample (n_in,) or a batch (B, n_in)."""
        return self.forward(x)

    def loss(self, x, y) -> float:
        """The training loss on (x, y) without updating anything."""
        loss, _, fused = LOSSES[self._loss]
        out = self.forward(x)
        return loss(self.layers[-1].pre_activation if fused else out, self._as_target(y, out))

    def train(self, x, y, lr: float | None = None) -> float:
        """One optimizer step on (x, y); returns the loss before the step.

        lr, if given, replaces the optimizer's base rate for this step.
        """
        return self._train_step(lambda: self.backprop(x, y), lr)

    def backprop(self, x, y) -> float:
        """Forward, loss and backward: adds the loss gradient into every .grad; returns the loss."""
        loss, delta, fused = LOSSES[self._loss]
        out = self.forward(x)
        last, y = self.layers[-1], self._as_target(y, out)
        if fused:           # loss fused with the output activation: the delta is at the logits
            value = loss(last.pre_activation, y)
            dx = last.backward_pre(delta(last.pre_activation, y))
        else:
            value = loss(out, y)
            dx = last.backward(delta(out, y))
        for layer in reversed(self.layers[:-1]):
            dx = layer.backward(dx)
        return value

    def train_with_deltas(self, x, deltas, lr: float | None = None) -> None:
        """One optimizer step from caller-supplied dL/d(output) (e.g. a policy gradient)."""
        def backward_deltas():
            out = self.forward(x)
            d = np.asarray(deltas, dtype=out.dtype)
            if d.shape != out.shape:
                raise ValueError(f"deltas shape {d.shape} does not match output shape {out.shape}")
            self.backward(d)

        self._train_step(backward_deltas, lr)

    def fit(self, X, Y, epochs: int = 100, batch_size: int | None = 32, **options) -> History:
        """Mini-batch training for some epochs; see `sudoku_tf.nn.fit.fit` for the options."""
        return fit(self, X, Y, epochs=epochs, batch_size=batch_size, rng=self._rng, **options)

    def summary(self) -> str:
        """A table of layers, output shapes and parameter counts."""
        rows = [("layer", "activation", "output", "params")]
        rows += [(f"layers.{i}", layer.activation.name, f"(B, {layer.n_out})", str(layer.n_params()))
                 for i, layer in enumerate(self.layers)]
        widths = [max(len(row[c]) for row in rows) for c in range(4)]
        lines = [f"{type(self).__name__}: {' -> '.join(map(str, self.sizes))} "
                 f"(input (B, {self.sizes[0]}), loss {self.loss_name}, "
                 f"optimizer {type(self._optimizer).__name__})"]
        lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        lines.append(f"total params: {self.n_params()}")
        return "\n".join(lines)

    def to_svg(self, width: int = 640, height: int = 400) -> str:
        """An SVG drawing: neurons as circles filled by their bias, weights as lines
        (colour = sign, width or opacity = size); a large layer makes the picture grow."""
        return network_svg([layer.W.value for layer in self.layers],
                           [layer.b.value for layer in self.layers],
                           [layer.activation.name for layer in self.layers], width, height)

    def _as_target(self, y, out: np.ndarray) -> np.ndarray:
        """Targets as an array like out (class indices stay as they are for cross_entropy);
        one value per sample is accepted for one output."""
        y = np.asarray(y)
        if self._loss == "cross_entropy" and np.issubdtype(y.dtype, np.integer):
            return y
        y = y.astype(out.dtype)
        if out.shape[-1] == 1 and y.shape == out.shape[:-1]:
            y = y[..., None]
        return y


class Network(NetworkN):
    """The classic two-layer MLP: n_in -> n_hidden -> n_out, sigmoid throughout."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int, activation: str = "sigmoid",
                 optimizer: OptimizerSpec = None, seed=None, loss: str | None = None):
        super().__init__([n_in, n_hidden, n_out], activation, optimizer, seed, loss)

    def config(self) -> dict:
        n_in, n_hidden, n_out = self.sizes
        return {"n_in": n_in, "n_hidden": n_hidden, "n_out": n_out,
                "activation": self.layers[0].activation.name, **self._training_config()}


class NeuronN(NetworkN):
    """One neuron with n inputs and Xavier init: predict(x) (..., n) -> (...)."""

    def __init__(self, n: int, activation: str = "sigmoid", optimizer: OptimizerSpec = None,
                 seed=None, loss: str | None = None):
        super().__init__([n, 1], activation, optimizer, seed, loss)

    def config(self) -> dict:
        return {"n": self.sizes[0], "activation": self.layers[0].activation.name,
                **self._training_config()}

    def predict(self, x) -> np.ndarray:
        return super().predict(x)[..., 0]


class Neuron(NeuronN):
    """One input, one weight, one bias: predict(x) and train(x, target, lr) on scalars or (B,)."""

    def __init__(self, activation: str = "sigmoid", optimizer: OptimizerSpec = None, seed=None,
                 loss: str | None = None):
        super().__init__(1, activation, optimizer, seed, loss)

    def config(self) -> dict:
        return {"activation": self.layers[0].activation.name, **self._training_config()}

    def forward(self, x) -> np.ndarray:
        """Scalar or (B,) inputs -> (1,) or (B, 1) outputs."""
        return super().forward(np.asarray(x)[..., None])


def _check_sizes(sizes: Sequence[int]) -> list[int]:
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output size, got {sizes}")
    bad = [s for s in sizes if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1]
    if bad:
        raise ValueError(f"sizes must be positive integers, got {sizes}")
    return [int(s) for s in sizes]


def _check_loss(loss: str | None, output: Activation) -> str:
    """The loss name, defaulting by the output activation; refuses an unknown name or a
    fused loss on the wrong output."""
    if loss is None:
        return "cross_entropy" if output is softmax else "mse"
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose from {', '.join(LOSSES)}")
    fused = LOSSES[loss][2]
    if fused is not None and output is not fused:
        raise ValueError(f"loss {loss} needs a {fused.name} output layer, not {output.name}")
    return loss


def _layer_activations(spec, n_layers: int) -> list[Activation]:
    """One activation per layer from None (tanh hidden, sigmoid out), one name, or a list."""
    if spec is None:
        spec = ["tanh"] * (n_layers - 1) + ["sigmoid"]
    elif isinstance(spec, (str, Activation)):
        spec = [spec] * n_layers
    spec = list(spec)
    if len(spec) != n_layers:
        raise ValueError(f"{n_layers} layers need {n_layers} activations, got {len(spec)}: {spec}")
    return [get_activation(a) for a in spec]
