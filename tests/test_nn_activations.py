"""Activations: values, derivatives against finite differences, dtype, lookup by name."""

import math

import numpy as np
import pytest

from gradcheck import TOLERANCE, check_function
from sudoku_tf.nn.activations import (ACTIVATIONS, Activation, gelu, get_activation, linear,
                                      log_softmax, relu, sigmoid, softmax, tanh)

ELEMENTWISE = [sigmoid, relu, tanh, linear, gelu]


def _off_kink(shape, seed=0):
    """Random values at least 0.1 away from 0, where ReLU has its kink."""
    x = np.random.default_rng(seed).standard_normal(shape)
    return np.sign(x) * (0.1 + np.abs(x))


@pytest.mark.parametrize("f", list(ACTIVATIONS.values()), ids=list(ACTIVATIONS))
def test_activation_backward_matches_finite_differences(f):
    x = _off_kink((3, 5))
    assert check_function(f, lambda x, g: f.backward(x, f(x), g), x) < TOLERANCE


@pytest.mark.parametrize("f", ELEMENTWISE, ids=lambda f: f.name)
def test_elementwise_grad_matches_finite_differences(f):
    x = _off_kink((4, 3), seed=1)
    assert check_function(f, lambda x, g: g * f.grad(x), x) < TOLERANCE


def test_softmax_grad_is_the_jacobian():
    x = _off_kink((2, 5), seed=2)
    jacobian = softmax.grad(x)                                    # (2, 5, 5)
    assert jacobian.shape == (2, 5, 5)
    # dL/dx_j = sum_i g_i dy_i/dx_j
    err = check_function(softmax, lambda x, g: np.einsum("bi,bij->bj", g, softmax.grad(x)), x)
    assert err < TOLERANCE


@pytest.mark.parametrize("f", list(ACTIVATIONS.values()), ids=list(ACTIVATIONS))
def test_activation_keeps_float32(f):
    x = _off_kink((2, 4)).astype(np.float32)
    y = f(x)
    assert y.dtype == np.float32
    assert f.grad(x).dtype == np.float32
    assert f.backward(x, y, np.ones_like(y)).dtype == np.float32


def test_known_values():
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_array_equal(relu(x), [0.0, 0.0, 3.0])
    np.testing.assert_allclose(tanh(x), np.tanh(x))
    np.testing.assert_array_equal(linear(x), x)
    exact_gelu = [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x]
    np.testing.assert_allclose(gelu(x), exact_gelu, atol=1e-3)


def test_sigmoid_and_softmax_are_stable_for_huge_inputs():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        s = sigmoid(np.array([-1e4, 1e4], np.float32))
        p = softmax(np.array([[1e4, 0.0, -1e4]], np.float32))
    np.testing.assert_array_equal(s, [0.0, 1.0])
    np.testing.assert_allclose(p, [[1.0, 0.0, 0.0]])


def test_softmax_rows_sum_to_one_and_log_softmax_agrees():
    x = np.random.default_rng(3).standard_normal((4, 7)) * 5
    np.testing.assert_allclose(softmax(x).sum(-1), np.ones(4))
    np.testing.assert_allclose(log_softmax(x), np.log(softmax(x)), atol=1e-12)


def test_relu_derivative_is_zero_at_and_below_zero():
    np.testing.assert_array_equal(relu.grad(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 1.0])


def test_get_activation_by_name_or_instance():
    assert get_activation("ReLU") is relu
    assert get_activation(tanh) is tanh
    assert all(isinstance(get_activation(name), Activation) for name in ACTIVATIONS)


def test_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match="unknown activation 'swish'.*sigmoid, relu, tanh, linear"):
        get_activation("swish")
