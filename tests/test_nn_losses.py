"""Losses and output deltas: values, deltas against finite differences, masks, targets."""

import numpy as np
import pytest

from gradcheck import TOLERANCE, check_function
from sudoku_tf.nn.activations import softmax
from sudoku_tf.nn import (binary_cross_entropy, binary_cross_entropy_delta, cross_entropy,
                          cross_entropy_delta, mse, mse_delta)

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((2, 5, 3))                 # (B, T, C)
CLASSES = RNG.integers(0, 3, (2, 5))                     # (B, T)
MASK = (RNG.random((2, 5)) < 0.6).astype(float)          # (B, T)


def test_mse_value():
    assert mse(np.array([1.0, 2.0, 4.0]), np.array([1.0, 0.0, 1.0])) == pytest.approx(13 / 3)


@pytest.mark.parametrize("mask", [None, MASK, MASK[..., None] * np.ones(3)],
                         ids=["no mask", "row mask", "entry mask"])
def test_mse_delta_matches_finite_differences(mask):
    target = RNG.standard_normal(LOGITS.shape)
    err = check_function(lambda p: mse(p, target, mask), lambda p, g: g * mse_delta(p, target, mask),
                         LOGITS)
    assert err < TOLERANCE


@pytest.mark.parametrize("targets", [CLASSES, np.eye(3)[CLASSES], softmax(RNG.standard_normal((2, 5, 3)))],
                         ids=["classes", "one-hot", "soft"])
@pytest.mark.parametrize("mask", [None, MASK], ids=["no mask", "mask"])
def test_cross_entropy_delta_matches_finite_differences(targets, mask):
    err = check_function(lambda z: cross_entropy(z, targets, mask),
                         lambda z, g: g * cross_entropy_delta(z, targets, mask), LOGITS)
    assert err < TOLERANCE


@pytest.mark.parametrize("targets", [(RNG.random(LOGITS.shape) < 0.5).astype(float), RNG.random(LOGITS.shape)],
                         ids=["labels", "soft"])
@pytest.mark.parametrize("mask", [None, MASK, MASK[..., None] * np.ones(3)],
                         ids=["no mask", "row mask", "entry mask"])
def test_binary_cross_entropy_delta_matches_finite_differences(targets, mask):
    err = check_function(lambda z: binary_cross_entropy(z, targets, mask),
                         lambda z, g: g * binary_cross_entropy_delta(z, targets, mask), LOGITS)
    assert err < TOLERANCE


def test_binary_cross_entropy_value_delta_and_no_overflow_at_large_logits():
    z, y = np.array([0.0, 2.0, -1.0]), np.array([1.0, 0.0, 1.0])
    p = 1 / (1 + np.exp(-z))
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
    assert binary_cross_entropy(z, y) == pytest.approx(expected)
    np.testing.assert_allclose(binary_cross_entropy_delta(z, y), (p - y) / 3)
    big = np.array([-800.0, 800.0], np.float32)
    assert binary_cross_entropy(big, np.array([1.0, 0.0])) == pytest.approx(800.0)
    np.testing.assert_allclose(binary_cross_entropy_delta(big, np.array([1.0, 0.0])), [-0.5, 0.5])


def test_cross_entropy_value_and_fused_delta_for_one_sample():
    logits = np.array([2.0, 1.0, 0.1])
    probs = softmax(logits)
    assert cross_entropy(logits, np.array(0)) == pytest.approx(-np.log(probs[0]))
    np.testing.assert_allclose(cross_entropy_delta(logits, np.array(0)), probs - [1, 0, 0])


def test_class_targets_and_one_hot_targets_agree():
    onehot = np.eye(3)[CLASSES]
    assert cross_entropy(LOGITS, CLASSES, MASK) == pytest.approx(cross_entropy(LOGITS, onehot, MASK))
    np.testing.assert_allclose(cross_entropy_delta(LOGITS, CLASSES, MASK),
                               cross_entropy_delta(LOGITS, onehot, MASK))


def test_masked_positions_change_nothing():
    changed = LOGITS.copy()
    changed[MASK == 0] += 10.0
    assert cross_entropy(changed, CLASSES, MASK) == pytest.approx(cross_entropy(LOGITS, CLASSES, MASK))
    assert not cross_entropy_delta(LOGITS, CLASSES, MASK)[MASK == 0].any()
    kept = MASK == 1
    assert cross_entropy(LOGITS, CLASSES, MASK) == pytest.approx(cross_entropy(LOGITS[kept], CLASSES[kept]))


def test_everything_masked_gives_zero_not_nan():
    zeros = np.zeros((2, 5))
    assert cross_entropy(LOGITS, CLASSES, zeros) == 0.0
    assert not cross_entropy_delta(LOGITS, CLASSES, zeros).any()


def test_deltas_keep_float32():
    logits = LOGITS.astype(np.float32)
    assert cross_entropy_delta(logits, CLASSES, MASK).dtype == np.float32
    assert mse_delta(logits, np.zeros(logits.shape)).dtype == np.float32
    assert binary_cross_entropy_delta(logits, np.zeros(logits.shape)).dtype == np.float32


@pytest.mark.parametrize("call, message", [
    (lambda: mse(np.zeros((4, 1)), np.zeros(4)), "target shape"),
    (lambda: mse(np.zeros((4, 2)), np.zeros((4, 2)), mask=np.ones(3)), "mask shape"),
    (lambda: cross_entropy(LOGITS, CLASSES + 1), "0..2"),
    (lambda: cross_entropy(LOGITS, CLASSES[0]), "class targets need shape"),
    (lambda: cross_entropy(LOGITS, np.zeros((2, 5, 4))), "probabilities of shape"),
    (lambda: cross_entropy(LOGITS, CLASSES, mask=np.ones(2)), "mask shape"),
    (lambda: binary_cross_entropy(LOGITS, np.full(LOGITS.shape, 2.0)), r"\[0, 1\]"),
    (lambda: binary_cross_entropy(LOGITS, np.zeros(3)), "target shape"),
])
def test_bad_arguments_name_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()
