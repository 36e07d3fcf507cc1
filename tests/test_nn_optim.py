"""Optimizers, gradient clipping and the warmup + cosine learning-rate schedule."""

import json
import math

import numpy as np
import pytest

from sudoku_tf.nn import (SGD, Adam, AdamW, Momentum, NetworkLSTM, NetworkTransformer,
                          NetworkTransformerRL, Param, WarmupCosine, clip_grad_norm, make_optimizer,
                          warmup_cosine)

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


def test_a_schedule_shapes_every_step_from_the_optimizers_own_count():
    p = Param("w", np.zeros(1))
    opt = SGD(lr=1.0, schedule=WarmupCosine(warmup=2, total=6)).bind([p])
    moves = []
    for t in range(8):
        p.grad[:] = 1.0
        before = p.value.copy()
        opt.step(lr=2.0 if t == 3 else None)       # a per-call lr replaces the base only
        moves.append(float(before[0] - p.value[0]))
    expected = [warmup_cosine(t, 2.0 if t == 3 else 1.0, 2, 6) for t in range(8)]
    np.testing.assert_allclose(moves, expected)
    assert opt.t == 8


@pytest.mark.parametrize("opt", [SGD(lr=0.3), Momentum(lr=0.2, beta=0.5),
                                 Adam(lr=0.01, beta2=0.99, schedule=WarmupCosine(5, 50)),
                                 AdamW(lr=0.02, weight_decay=0.1)], ids=lambda o: type(o).__name__)
def test_an_optimizer_config_rebuilds_the_same_kind_and_settings(opt):
    config = json.loads(json.dumps(opt.config()))
    rebuilt = make_optimizer(config, _quadratic_params())
    assert type(rebuilt) is type(opt) and rebuilt.config() == opt.config()
    assert rebuilt.schedule == opt.schedule


def test_a_custom_schedule_is_used_but_not_saved():
    opt = SGD(lr=1.0, schedule=lambda step, lr: lr / (step + 1))
    assert opt.current_lr() == 1.0
    with pytest.warns(RuntimeWarning, match="not saved"):
        assert opt.config()["schedule"] is None


def _transformer(**kw):
    return NetworkTransformer(seq_len=4, vocab_size=3, d_model=4, n_heads=2, d_ff=5, n_blocks=1,
                              n_classes=2, seed=0, **kw)


def _train_transformer(model, lr=None):
    return model.train([[0, 1, 2, 1]], [[0, 1, 1, 0]], lr=lr)


def _rl(**kw):
    return NetworkTransformerRL(seq_len=3, input_dim=2, d_model=4, n_heads=2, d_ff=5, n_blocks=1,
                                n_actions=2, seed=0, **kw)


def _train_rl(model, lr=None):
    return model.train(np.ones((3, 2)), [1.0, -1.0], lr=lr)


def _lstm(**kw):
    return NetworkLSTM(2, 3, [1], seed=0, **kw)


def _train_lstm(model, lr=None):
    model.reset_state()
    model.predict([0.5, -0.5])
    model.predict([1.0, 0.0])
    return model.train([0.2, 0.9], lr=lr)


SEQUENCE_MODELS = {"transformer": (_transformer, _train_transformer), "rl": (_rl, _train_rl),
                   "lstm": (_lstm, _train_lstm)}


@pytest.mark.parametrize("make, train", SEQUENCE_MODELS.values(), ids=SEQUENCE_MODELS.keys())
def test_models_step_with_their_optimizers_own_learning_rate(make, train):
    given = make(optimizer=SGD(lr=0.5))
    per_call = make(optimizer=SGD(lr=0.1))
    start = [p.value.copy() for p in given.params()]
    train(given)
    train(per_call, lr=0.5)
    assert any(not np.array_equal(p.value, s) for p, s in zip(given.params(), start))
    for p, q in zip(given.params(), per_call.params()):
        np.testing.assert_allclose(p.value, q.value, rtol=1e-6, err_msg=p.name)


@pytest.mark.parametrize("make, train", SEQUENCE_MODELS.values(), ids=SEQUENCE_MODELS.keys())
def test_a_model_binds_its_own_optimizer_on_its_first_train_only(make, train):
    opt = SGD(lr=0.5)
    model = make(optimizer=opt)
    assert opt.params == [] and opt.t == 0            # a loop of its own would never bind it
    train(model)
    assert opt.params == model.params() and opt.t == 1


@pytest.mark.parametrize("make", [_transformer, _rl, _lstm], ids=SEQUENCE_MODELS.keys())
def test_a_bad_optimizer_is_refused_when_the_model_is_built(make):
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        make(optimizer="rmsprop")


@pytest.mark.parametrize("make, train, clip", [(_transformer, _train_transformer, 1.0),
                                               (_rl, _train_rl, 1.0), (_lstm, _train_lstm, 5.0)],
                         ids=SEQUENCE_MODELS.keys())
def test_train_clips_the_global_gradient_norm_at_the_models_bound(make, train, clip):
    model = make(optimizer=SGD(lr=1e-9))
    model.loss_and_grad = _scaled(model.loss_and_grad, 1e6)     # gradients far above the bound
    train(model)
    norm = np.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in model.params()))
    assert norm == pytest.approx(clip, rel=1e-4)


def _scaled(loss_and_grad, factor):
    """loss_and_grad whose gradients are multiplied by factor."""
    def scaled(*args, **kw):
        loss = loss_and_grad(*args, **kw)
        for p in loss_and_grad.__self__.params():
            p.grad *= factor
        return loss
    return scaled


def test_a_transformers_warmup_is_its_optimizers_schedule_and_count():
    model = _transformer(optimizer=Adam(lr=0.01, schedule=WarmupCosine(warmup=4)))
    assert model.optimizer.schedule == WarmupCosine(warmup=4)
    lrs = []
    for _ in range(5):
        lrs.append(model.optimizer.current_lr())
        _train_transformer(model)
    np.testing.assert_allclose(lrs, [0.0025, 0.005, 0.0075, 0.01, 0.01])
    assert model.optimizer.t == 5 and not hasattr(model, "steps")
