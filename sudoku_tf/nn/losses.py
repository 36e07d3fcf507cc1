"""Losses and their output deltas (the gradient of the loss with respect to its input).

`mse` takes predictions; `cross_entropy` and `binary_cross_entropy` take logits (the
softmax or sigmoid is fused in, so their delta is simply p - y, which never saturates).
All average over the entries a mask keeps.
"""

from __future__ import annotations

import numpy as np

from .activations import log_softmax, sigmoid, softmax


def mse(pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean squared error over the entries the mask keeps.

    mask: the shape of pred, or its leading shape (one weight per row); None keeps all.
    """
    pred, target, weight, count = _elementwise_terms(pred, target, mask, "mse")
    diff = pred - target
    return float((weight * diff * diff).sum() / count)


def mse_delta(pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """d mse / d pred = 2 (pred - target) / count, zero where masked: the shape of pred."""
    pred, target, weight, count = _elementwise_terms(pred, target, mask, "mse")
    return (2 / count) * weight * (pred - target)


def binary_cross_entropy(logits: np.ndarray, targets: np.ndarray,
                         mask: np.ndarray | None = None) -> float:
    """Mean of -[y log p + (1 - y) log(1 - p)], p = sigmoid(logits), over the kept entries.

    targets: probabilities in [0, 1] (0 / 1 labels), the shape of logits; mask as for mse.
    """
    z, y, weight, count = _bce_terms(logits, targets, mask)
    # -[y log p + (1 - y) log(1 - p)] = softplus(z) - y z, written to stay finite for any z
    nll = np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))
    return float((weight * nll).sum() / count)


def binary_cross_entropy_delta(logits: np.ndarray, targets: np.ndarray,
                               mask: np.ndarray | None = None) -> np.ndarray:
    """d binary_cross_entropy / d logits = (sigmoid(logits) - targets) / count: the shape of logits."""
    z, y, weight, count = _bce_terms(logits, targets, mask)
    return (sigmoid(z) - y) * (weight / count)


def cross_entropy(logits: np.ndarray, targets: np.ndarray,
                  mask: np.ndarray | None = None) -> float:
    """Mean of -log softmax(logits)[target] over the positions the mask keeps.

    logits: (..., C). targets: integer classes (...) or probabilities / one-hot (..., C).
    mask: (...) weights per position, None keeps all.
    """
    logits, onehot, weight, count = _ce_terms(logits, targets, mask)
    nll = -(onehot * log_softmax(logits)).sum(-1)                 # (...)
    return float((weight * nll).sum() / count)


def cross_entropy_delta(logits: np.ndarray, targets: np.ndarray,
                        mask: np.ndarray | None = None) -> np.ndarray:
    """d cross_entropy / d logits = (softmax(logits) - onehot) / count: (..., C)."""
    logits, onehot, weight, count = _ce_terms(logits, targets, mask)
    return (softmax(logits) - onehot) * (weight[..., None] / count)


def _elementwise_terms(pred, target, mask, loss: str):
    """(float pred, target like it, weights broadcast to pred, number of kept entries)."""
    pred = _floats(pred)
    target = np.asarray(target, dtype=pred.dtype)
    if target.shape != pred.shape:
        raise ValueError(f"{loss}: target shape {target.shape} does not match prediction shape {pred.shape}")
    weight = _weights(mask, (pred.shape, pred.shape[:-1]), pred.dtype, loss)
    if weight.ndim < pred.ndim:
        weight = weight[..., None]                                # one weight per row
    count = max(float(weight.sum()) * (pred.size // weight.size), 1.0)   # weight broadcasts
    return pred, target, weight, count


def _bce_terms(logits, targets, mask):
    """`_elementwise_terms` for binary cross-entropy, whose targets must lie in [0, 1]."""
    terms = _elementwise_terms(logits, targets, mask, "binary_cross_entropy")
    y = terms[1]
    if y.size and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"binary_cross_entropy: targets must lie in [0, 1], got {y.min()}..{y.max()}")
    return terms


def _ce_terms(logits, targets, mask):
    """(float logits, one-hot or probability targets, weights per position, kept count)."""
    logits, targets = _floats(logits), np.asarray(targets)
    lead, n_classes = logits.shape[:-1], logits.shape[-1]
    if np.issubdtype(targets.dtype, np.integer):
        if targets.shape != lead:
            raise ValueError(f"cross_entropy: class targets need shape {lead}, got {targets.shape}")
        if targets.size and (targets.min() < 0 or targets.max() >= n_classes):
            raise ValueError(f"cross_entropy: class targets must lie in 0..{n_classes - 1}, "
                             f"got {targets.min()}..{targets.max()}")
        onehot = np.zeros_like(logits)                            # (..., C)
        np.put_along_axis(onehot, targets[..., None], 1, axis=-1)
    elif targets.shape == logits.shape:
        onehot = targets.astype(logits.dtype)
    else:
        raise ValueError(f"cross_entropy: targets must be integer classes of shape {lead} "
                         f"or probabilities of shape {logits.shape}, got {targets.shape}")
    weight = _weights(mask, (lead,), logits.dtype, "cross_entropy")
    count = max(float(weight.sum()) * (onehot[..., 0].size // weight.size), 1.0)
    return logits, onehot, weight, count


def _floats(a) -> np.ndarray:
    """a as a float array, keeping float32 / float64 as given."""
    a = np.asarray(a)
    return a if np.issubdtype(a.dtype, np.floating) else a.astype(np.float64)


def _weights(mask, shapes: tuple, dtype, loss: str) -> np.ndarray:
    """The mask as an array of dtype (all ones if None), checked against allowed shapes."""
    if mask is None:
        return np.ones((), dtype)
    mask = np.asarray(mask, dtype=dtype)
    if mask.shape not in shapes:
        raise ValueError(f"{loss}: mask shape {mask.shape} must be one of {list(shapes)}")
    return mask
