"""Finite-difference gradient checks shared by every layer and model test.

The scalar objective for a layer is sum(forward(x) * g) with a fixed random g, so the
analytic input gradient is simply backward(g). Every entry of x and of every parameter
is nudged by +eps and -eps and the central difference is compared by relative error.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

TOLERANCE = 1e-6


def rel_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """norm(a - n) / (norm(a) + norm(n)): steadier than per-entry ratios near zero."""
    denom = max(np.linalg.norm(analytic) + np.linalg.norm(numeric), 1e-30)
    return float(np.linalg.norm(analytic - numeric) / denom)


def numeric_grad(objective: Callable[[], float], array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of objective() with respect to every entry of array (in place)."""
    grad = np.zeros_like(array)
    flat, gflat = array.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = objective()
        flat[i] = old - eps
        minus = objective()
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def check_layer(layer, x: np.ndarray, seed: int = 0, check_input: bool = True) -> dict[str, float]:
    """Relative error per named array (input 'x' and every parameter) for a layer."""
    layer.astype(np.float64)
    if np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    g = np.random.default_rng(seed).standard_normal(layer.forward(x).shape)
    layer.zero_grad()
    dx = layer.backward(g)

    def objective() -> float:
        return float((layer.forward(x) * g).sum())

    errors = {name: rel_error(p.grad.copy(), numeric_grad(objective, p.value))
              for name, p in layer.named_params()}
    if check_input:
        errors["x"] = rel_error(dx, numeric_grad(objective, x))
    return errors


def check_function(fn: Callable[[np.ndarray], np.ndarray],
                   backward: Callable[[np.ndarray, np.ndarray], np.ndarray],
                   x: np.ndarray, seed: int = 0) -> float:
    """Relative error of backward(x, g) against finite differences of sum(fn(x) * g).

    For a parameter-free function (activation, loss); a scalar fn gets a scalar g.
    """
    x = x.astype(np.float64)
    g = np.random.default_rng(seed).standard_normal(np.shape(fn(x)))
    return rel_error(backward(x, g), numeric_grad(lambda: float((fn(x) * g).sum()), x))


def check_loss(model, loss_and_backward: Callable[[], float], loss_only: Callable[[], float]) -> dict[str, float]:
    """Relative error per parameter for a model whose scalar loss we differentiate.

    loss_and_backward() runs forward + backward (accumulating into .grad) and returns the
    loss; loss_only() runs just the forward and returns the same loss.
    """
    model.astype(np.float64)
    model.zero_grad()
    loss_and_backward()
    return {name: rel_error(p.grad.copy(), numeric_grad(loss_only, p.value))
            for name, p in model.named_params()}


def assert_backward_accumulates(layer, x: np.ndarray, seed: int = 0) -> None:
    """Two backward calls leave twice one call's gradients (+=); zero_grad clears them."""
    y = layer.forward(x)
    dy = np.random.default_rng(seed).standard_normal(y.shape).astype(y.dtype)
    layer.zero_grad()
    layer.backward(dy)
    once = [p.grad.copy() for p in layer.params()]
    layer.backward(dy)
    for (name, p), g in zip(layer.named_params(), once):
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-5, atol=1e-7, err_msg=name)
    layer.zero_grad()
    assert not any(p.grad.any() for p in layer.params())


def assert_close(errors: dict[str, float], tol: float = TOLERANCE) -> None:
    bad = {k: v for k, v in errors.items() if not v < tol}
    assert not bad, "gradient mismatch (relative error): " + ", ".join(
        f"{k}={v:.2e}" for k, v in sorted(bad.items()))
