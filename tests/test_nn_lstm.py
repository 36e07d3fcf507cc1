"""Gradient checks and behaviour of LSTMLayer and NetworkLSTM."""

import runpy
from pathlib import Path

import numpy as np
import pytest

from gradcheck import assert_backward_accumulates, assert_close, check_layer, check_loss
from sudoku_tf.nn import Adam, LSTMLayer, NetworkLSTM, load, save

B, T, N_IN, HIDDEN = 2, 5, 3, 4
EXAMPLES = Path(__file__).resolve().parent.parent / "scripts" / "examples"


def _x(seed=0, shape=(B, T, N_IN)):
    return np.random.default_rng(seed).standard_normal(shape)


def _layer(seed=1):
    layer = LSTMLayer(N_IN, HIDDEN, seed=seed)
    layer.gates.b.value[:] = np.random.default_rng(seed).uniform(-1, 1, 4 * HIDDEN)
    return layer


def _episode(model, xs):
    """Runs one episode from a fresh state; returns the outputs (steps first)."""
    model.reset_state()
    return np.stack([model.predict(x) for x in xs])


def test_lstm_layer_grad_matches_finite_differences_through_several_steps():
    assert_close(check_layer(_layer(), _x()))


def test_network_lstm_loss_grad_matches_finite_differences_with_steps_without_targets():
    model = NetworkLSTM(N_IN, HIDDEN, [5, 2], dense_activation=["tanh", "sigmoid"], seed=2)
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((T, B, N_IN))
    targets = [None, rng.random((B, 2)), None, rng.random(2), rng.random((B, 2))]

    def loss_only():
        _episode(model, xs)
        return model.loss(targets)

    def loss_and_backward():
        _episode(model, xs)
        return model.loss_and_grad(targets)

    assert_close(check_loss(model, loss_and_backward, loss_only))


def test_step_by_step_equals_the_whole_sequence_and_truncate_keeps_the_state():
    layer = _layer()
    x = _x().astype(np.float32)
    whole = layer.forward(x)
    layer.reset_state()
    first = [layer.step(x[:, t]) for t in range(3)]
    layer.truncate()
    rest = [layer.step(x[:, t]) for t in range(3, T)]
    np.testing.assert_allclose(np.stack(first + rest, axis=1), whole, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="2 recorded steps"):
        layer.backward(np.ones((B, T, HIDDEN), np.float32))


def test_two_backwards_double_the_gradient_and_zero_grad_clears():
    assert_backward_accumulates(_layer(), _x().astype(np.float32))


def test_backward_before_forward_raises_a_clear_error():
    with pytest.raises(RuntimeError, match="before forward"):
        LSTMLayer(N_IN, HIDDEN).backward(np.zeros((1, 1, HIDDEN)))


def test_batch_rows_equal_single_episodes_and_float32_stays_float32():
    model = NetworkLSTM(N_IN, HIDDEN, [2], seed=4)
    xs = _x(5, (T, 3, N_IN)).astype(np.float32)
    batch = _episode(model, xs)                               # (T, 3, 2)
    assert batch.dtype == np.float32
    for i in range(3):
        single = _episode(model, xs[:, i])                    # (T, 2)
        np.testing.assert_allclose(batch[:, i], single, rtol=1e-5, atol=1e-6)


def test_lstm_learns_to_count_steps_of_a_constant_input(capsys):
    counter = runpy.run_path(str(EXAMPLES / "lstm_counter.py"))
    outputs, loss = counter["train_counter"](episodes=300, seed=0)
    assert [out > 0.5 for out in outputs] == [bool(t) for t in counter["TARGETS"]]
    assert loss < 0.01
    assert counter["main"](["--episodes", "300"]) == 0
    out = capsys.readouterr().out
    assert out.count(" ok") == 6 and "WRONG" not in out


def test_train_starts_a_new_record_and_mismatched_targets_are_refused():
    model = NetworkLSTM(N_IN, HIDDEN, [1], seed=6)
    model.predict(np.zeros(N_IN))
    model.predict(np.zeros(N_IN))
    with pytest.raises(ValueError, match="3 targets for 2 recorded steps"):
        model.train([0, 1, 1])
    model.train([0, 1])
    with pytest.raises(RuntimeError, match="call predict first"):
        model.train([1])                                      # nothing recorded since
    with pytest.raises(ValueError, match="batch of 2 inside an episode of batch 1"):
        model.predict(np.zeros((2, N_IN)))


def test_weight_clip_bounds_the_lstm_weights_after_each_update():
    model = NetworkLSTM(N_IN, HIDDEN, [1], weight_clip=0.2, optimizer=lambda: Adam(lr=1.0), seed=7)
    _episode(model, _x(8, (T, N_IN)))
    model.train([1] * T)
    assert np.abs(model.lstm.gates.W.value).max() <= 0.2


def test_save_load_round_trips_predictions(tmp_path):
    model = NetworkLSTM(N_IN, HIDDEN, [3, 2], dense_activation=["relu", "linear"], seed=9)
    xs = _x(10, (T, N_IN)).astype(np.float32)
    _episode(model, xs)
    model.train([np.ones(2)] * T)
    save(model, tmp_path / "lstm.npz")
    loaded = load(tmp_path / "lstm.npz")
    assert loaded.config() == model.config()
    np.testing.assert_array_equal(_episode(loaded, xs), _episode(model, xs))
    assert "NetworkLSTM" in loaded.summary()
