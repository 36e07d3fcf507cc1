"""Optimizers, gradient clipping and the warmup + cosine learning-rate schedule."""

import math

import numpy as np
import pytest

from sudoku_tf.nn import SGD, Adam, AdamW, Momentum, Param, clip_grad_norm, make_optimizer, warmup_cosine

CENTRE = np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)
CURVATURE = np.array([[1.0, 4.0], [2.0, 0.5]], np.float32)


def _quadratic_params():
    """A matrix and a vector parameter, both starting away from the minimum."""
    return [Param("W", np.zeros((2, 2), np.float32)), Param("b", np.full(3, 5.0, np.float32))]


def _minimise(opt, params, steps):
    """Minimises 0.5 * sum(c * (W - centre)^2) + 0.5 * sum(b^2) from the gradients."""
    for _ in range(steps):
        opt.zero_grad()
        params[0].grad += CURVATURE * (params[0].value - CENTRE)
        params[1].grad += params[1].value
        opt.step()


@pytest.mark.parametrize("make, steps", [
    (lambda: SGD(lr=0.2), 200),
    (lambda: Momentum(lr=0.05, beta=0.9), 300),
    (lambda: Adam(lr=0.05), 800),
], ids=["sgd", "momentum", "adam"])
def test_optimizer_minimises_a_quadratic(make, steps):
    params = _quadratic_params()
    _minimise(make_optimizer(make, params), params, steps)
    np.testing.assert_allclose(params[0].value, CENTRE, atol=1e-2)
    np.testing.assert_allclose(params[1].value, 0, atol=1e-2)


def test_adamw_decays_matrices_but_not_vectors():
    params = _quadratic_params()
    _minimise(make_optimizer(lambda: AdamW(lr=0.05, weight_decay=0.1), params), params, 800)
    # decay pulls W towards 0 from the centre; the vector converges as without decay
    assert (np.abs(params[0].value) < np.abs(CENTRE)).all()
    np.testing.assert_allclose(params[1].value, 0, atol=1e-2)


def test_step_lr_overrides_the_rate_once():
    p = Param("w", np.zeros(1, np.float32))
    opt = SGD(lr=0.1).bind([p])
    p.grad[:] = 1.0
    opt.step(lr=2.0)
    opt.step()
    np.testing.assert_allclose(p.value, [-2.1])


def test_optimizer_state_round_trips():
    a_params, b_params = _quadratic_params(), _quadratic_params()
    a, b = Adam(lr=0.05).bind(a_params), Adam(lr=0.05).bind(b_params)
    _minimise(a, a_params, 5)
    for p, q in zip(a_params, b_params):
        q.value[...] = p.value
    b.load_state_arrays(a.state_arrays())
    _minimise(a, a_params, 5)
    _minimise(b, b_params, 5)
    for p, q in zip(a_params, b_params):
        np.testing.assert_array_equal(p.value, q.value)


def test_make_optimizer_accepts_names_instances_and_factories():
    params = _quadratic_params()
    assert isinstance(make_optimizer("AdamW", params), AdamW)
    momentum = Momentum()
    assert make_optimizer(momentum, params) is momentum and momentum.params == params
    assert make_optimizer(lambda: SGD(lr=0.3), params).lr == 0.3
    assert isinstance(make_optimizer(None, params, default=SGD), SGD)


@pytest.mark.parametrize("call, message", [
    (lambda: make_optimizer("rmsprop", []), "unknown optimizer 'rmsprop'"),
    (lambda: make_optimizer(lambda: 3, []), "factory returned int"),
    (lambda: make_optimizer(3, []), "must be an Optimizer"),
    (lambda: SGD(lr=0), "learning rate must be positive"),
])
def test_bad_optimizer_specs_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_clip_grad_norm_scales_all_gradients_together():
    params = _quadratic_params()
    params[0].grad[...] = 3.0                      # norm 6
    params[1].grad[...] = [0.0, 8.0, 0.0]         # norm 8: global norm 10
    before = [p.grad.copy() for p in params]
    assert clip_grad_norm(params, 5.0) == pytest.approx(10.0)
    total = math.sqrt(sum(float((p.grad ** 2).sum()) for p in params))
    assert total == pytest.approx(5.0, rel=1e-6)
    for p, g in zip(params, before):                # direction kept
        np.testing.assert_allclose(p.grad, g / 2, rtol=1e-6)


def test_clip_grad_norm_leaves_small_gradients_alone():
    params = _quadratic_params()
    params[1].grad[...] = [0.0, 0.3, 0.4]
    assert clip_grad_norm(params, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(params[1].grad, np.array([0.0, 0.3, 0.4], np.float32))


def test_warmup_cosine_warms_up_linearly_then_decays_to_the_floor():
    lrs = [warmup_cosine(step, 1.0, warmup=10, total=110, min_ratio=0.1) for step in range(121)]
    np.testing.assert_allclose(lrs[:10], np.arange(1, 11) / 10)
    assert lrs[10] == pytest.approx(1.0)
    assert lrs[60] == pytest.approx(0.55)             # half way down the cosine
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:]))
    assert lrs[110] == pytest.approx(0.1) and lrs[120] == pytest.approx(0.1)
