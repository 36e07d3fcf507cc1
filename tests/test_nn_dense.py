"""Dense layers and models: gradients, batching, dtype, the classic demos, fit, summary, SVG."""

import runpy
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from gradcheck import assert_backward_accumulates, assert_close, check_layer, check_loss
from sudoku_tf.nn import Adam, Layer, Momentum, Network, NetworkN, Neuron, NeuronN, mse_delta
from sudoku_tf.nn.svg import MAX_RADIUS, MIN_RADIUS, NEGATIVE, POSITIVE

SVG = "{http://www.w3.org/2000/svg}"

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_Y = np.array([0, 1, 1, 0], np.float32)


def _off_kink(shape, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape)
    return np.sign(x) * (0.1 + np.abs(x))


def _quadrant(points):
    """0 for x >= 0 and y >= 0, 1 for x < 0, 2 for y < 0, 3 for both below."""
    return (points[:, 0] < 0).astype(int) + 2 * (points[:, 1] < 0)


def _assert_learns_xor(model):
    out = np.ravel(model.predict(XOR_X))
    margin = np.where(XOR_Y == 1, out - 0.5, 0.5 - out)
    assert (margin > 0.3).all(), out


# gradients

@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh", "linear", "gelu", "softmax"])
@pytest.mark.parametrize("shape", [(5,), (3, 5), (2, 3, 5)], ids=["one", "batch", "3-d"])
def test_layer_grad_matches_finite_differences(activation, shape):
    layer = Layer(5, 4, activation, seed=1)
    layer.b.value[:] = np.random.default_rng(2).standard_normal(4)  # off a zero bias
    # small weights and inputs off the kink keep every pre-activation away from 0 for relu
    assert_close(check_layer(layer, _off_kink(shape)))


def test_network_grad_matches_finite_differences():
    net = NetworkN([3, 5, 4, 2], activations=["tanh", "gelu", "sigmoid"], seed=0)
    assert_close(check_layer(net, _off_kink((6, 3))))


@pytest.mark.parametrize("sizes, activations, targets, loss", [
    ([3, 5, 2], ["tanh", "sigmoid"], np.random.default_rng(1).random((6, 2)), None),
    ([3, 5, 4], ["relu", "softmax"], np.array([0, 3, 1, 2, 2, 0]), None),
    ([3, 5, 2], ["tanh", "sigmoid"], np.random.default_rng(1).random((6, 2)), "binary_cross_entropy"),
    ([3, 5, 2], ["gelu", "sigmoid"], np.array([[0, 1], [1, 1], [0, 0], [1, 0], [1, 1], [0, 1]]),
     "binary_cross_entropy"),
], ids=["mse", "softmax-cross-entropy", "sigmoid-binary-cross-entropy", "binary-labels"])
def test_network_loss_grad_matches_finite_differences(sizes, activations, targets, loss):
    net = NetworkN(sizes, activations=activations, seed=0, loss=loss)
    x = _off_kink((6, 3))
    assert_close(check_loss(net, lambda: net.backprop(x, targets), lambda: net.loss(x, targets)))


def test_default_losses_follow_the_output_and_a_mismatched_loss_is_refused():
    assert NetworkN([2, 3]).loss_name == "mse"
    assert NetworkN([2, 3], activations="softmax").loss_name == "cross_entropy"
    assert NetworkN([2, 3], loss="binary_cross_entropy").loss_name == "binary_cross_entropy"
    assert NetworkN([2, 3], activations="softmax", loss="mse").loss_name == "mse"
    with pytest.raises(ValueError, match="needs a sigmoid output layer, not tanh"):
        NetworkN([2, 3], activations="tanh", loss="binary_cross_entropy")
    with pytest.raises(ValueError, match="needs a softmax output layer"):
        NetworkN([2, 3], loss="cross_entropy")
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        NeuronN(2, loss="hinge")


def test_binary_cross_entropy_keeps_learning_where_a_saturated_sigmoid_stalls_mse():
    # a neuron confidently wrong: z = -8 where the target is 1
    grads = {}
    for loss in ("mse", "binary_cross_entropy"):
        neuron = NeuronN(1, loss=loss, seed=0)
        neuron.layers[0].W.value[:] = 8.0
        neuron.zero_grad()
        neuron.backprop(np.array([[-1.0]]), np.array([1.0]))
        grads[loss] = abs(float(neuron.layers[0].W.grad[0, 0]))
    assert grads["binary_cross_entropy"] == pytest.approx(1 / (1 + np.exp(-8)), rel=1e-4)
    assert grads["mse"] < 1e-3 < grads["binary_cross_entropy"]


def test_two_backward_calls_double_the_gradient_and_zero_grad_clears_it():
    assert_backward_accumulates(Layer(3, 2, "tanh", seed=0), _off_kink((4, 3)))


def test_backward_before_forward_is_a_clear_error():
    with pytest.raises(RuntimeError, match="before forward"):
        Layer(2, 2).backward(np.ones(2))


# shapes and dtype

def test_float32_in_gives_float32_out_and_float64_model_stays_float64():
    net = NetworkN([3, 4, 2], seed=0)
    assert net.predict(np.ones((2, 3), np.float32)).dtype == np.float32
    assert net.predict([[1.0, 2.0, 3.0]]).dtype == np.float32       # inputs cast to the weights
    assert net.astype(np.float64).predict(np.ones(3)).dtype == np.float64


def test_a_batch_gives_the_same_rows_as_samples_one_by_one():
    net = NetworkN([3, 6, 2], activations=["relu", "softmax"], seed=0)
    x = _off_kink((5, 3)).astype(np.float32)
    batch = net.predict(x)
    rows = np.stack([net.predict(row) for row in x])
    np.testing.assert_allclose(batch, rows, rtol=1e-6)
    assert net.predict(x[0]).shape == (2,)


def test_single_sample_training_works():
    net = NetworkN([2, 3, 1], seed=0)
    before = net.loss(XOR_X[1], XOR_Y[1])
    for _ in range(20):
        net.train(XOR_X[1], XOR_Y[1], lr=0.5)
    assert net.loss(XOR_X[1], XOR_Y[1]) < before


def test_train_with_deltas_equals_train_for_the_mse_delta():
    a, b = NetworkN([2, 4, 1], seed=3), NetworkN([2, 4, 1], seed=3)
    a.train(XOR_X, XOR_Y, lr=0.5)
    b.train_with_deltas(XOR_X, mse_delta(b.predict(XOR_X), XOR_Y[:, None]), lr=0.5)
    for p, q in zip(a.params(), b.params()):
        np.testing.assert_allclose(p.value, q.value, rtol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda: NetworkN([2, 3, 1]).predict(np.ones(3)), "length 2"),
    (lambda: Layer(4, 2).forward(np.ones((5, 3))), "length 4"),
    (lambda: NetworkN([]), "at least an input and an output"),
    (lambda: NetworkN([3]), "at least an input and an output"),
    (lambda: NetworkN([2, 0, 1]), "positive integers"),
    (lambda: NetworkN([2, 3, 1], activations="swish"), "unknown activation 'swish'"),
    (lambda: NetworkN([2, 3, 1], activations=["tanh"]), "2 layers need 2 activations"),
    (lambda: NetworkN([2, 3, 1], optimizer="rmsprop"), "unknown optimizer"),
    (lambda: NetworkN([2, 3, 1]).train(XOR_X, np.zeros((4, 2))), "target shape"),
    (lambda: NetworkN([2, 3, 1]).train_with_deltas(XOR_X, np.zeros(4)), "deltas shape"),
    (lambda: NetworkN([2, 3, 1]).fit(XOR_X, XOR_Y[:3]), "4 inputs but 3 targets"),
    (lambda: NetworkN([2, 3, 1]).fit(XOR_X, XOR_Y, batch_size=0), "batch_size"),
    (lambda: NetworkN([2, 3, 1]).fit(XOR_X, XOR_Y, validation_data=XOR_X), "validation_data"),
])
def test_bad_arguments_raise_value_error_naming_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# the classic demos

def test_neuron_learns_an_age_threshold():
    ages = np.arange(1, 81, dtype=np.float32)
    neuron = Neuron(seed=0)
    neuron.fit(ages / 100, ages >= 18, epochs=2000, batch_size=None, lr=5.0)   # ages in centuries
    assert neuron.predict(0.17) < 0.5 < neuron.predict(0.25)


def test_neuron_n_learns_the_brightness_of_rgb_colours():
    rng = np.random.default_rng(0)
    colours = rng.random((400, 3), dtype=np.float32)
    luminance = colours @ np.array([0.299, 0.587, 0.114], np.float32)
    neuron = NeuronN(3, seed=0)
    neuron.fit(colours[:300], luminance[:300] > 0.5, epochs=300, batch_size=16, lr=2.0)
    assert neuron.predict([0, 0, 0]) < 0.5 < neuron.predict([1, 1, 1])
    accuracy = ((neuron.predict(colours[300:]) > 0.5) == (luminance[300:] > 0.5)).mean()
    assert accuracy >= 0.95


def test_linear_neuron_n_recovers_the_luminance_weights():
    colours = np.random.default_rng(1).random((200, 3), dtype=np.float32)
    weights = np.array([0.299, 0.587, 0.114], np.float32)
    neuron = NeuronN(3, activation="linear", seed=0)
    neuron.fit(colours, colours @ weights, epochs=300, batch_size=20, lr=0.5)
    np.testing.assert_allclose(neuron.layers[0].W.value[:, 0], weights, atol=0.01)


def test_network_learns_xor():
    net = Network(2, 8, 1, seed=0)
    for _ in range(3000):
        net.train(XOR_X, XOR_Y, lr=2.0)
    _assert_learns_xor(net)


@pytest.mark.parametrize("optimizer", [None, lambda: Adam(lr=0.05), lambda: Momentum(lr=0.5)],
                         ids=["sgd", "adam", "momentum"])
def test_network_n_learns_xor(optimizer):
    net = NetworkN([2, 8, 1], optimizer=optimizer, seed=1)
    net.fit(XOR_X, XOR_Y, epochs=2000 if optimizer is None else 500, batch_size=None,
            lr=1.0 if optimizer is None else None)
    _assert_learns_xor(net)


def test_network_n_classifies_points_into_quadrants():
    rng = np.random.default_rng(0)
    train, test = rng.uniform(-1, 1, (2, 1000, 2)).astype(np.float32)
    net = NetworkN([2, 16, 4], activations=["tanh", "softmax"], optimizer=lambda: Adam(lr=0.01), seed=0)
    net.fit(train, _quadrant(train), epochs=60, batch_size=32)
    assert (net.predict(test).argmax(-1) == _quadrant(test)).mean() >= 0.98


# fit

def _regression_data(seed=0, n=200):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2)).astype(np.float32)
    return x, np.sin(2 * x[:, :1]) * x[:, 1:]


def test_fit_reports_falling_loss_and_val_loss():
    (x, y), (xv, yv) = _regression_data(0), _regression_data(1)
    net = NetworkN([2, 16, 1], activations=["tanh", "linear"], optimizer="adam", seed=0)
    history = net.fit(x, y, epochs=30, batch_size=16, lr=0.01, validation_data=(xv, yv))
    assert len(history) == len(history.val_loss) == len(history.time) == 30
    assert history.val_loss[-1] < 0.3 * history.val_loss[0]
    assert history.loss[-1] < 0.3 * history.loss[0]
    assert history.time == sorted(history.time) and history.stop_reason == "epochs"
    assert history.epoch(30)["val_loss"] == history.val_loss[-1]


def test_same_seed_gives_the_same_trained_weights():
    x, y = _regression_data()
    nets = [NetworkN([2, 8, 1], activations=["tanh", "linear"], seed=7) for _ in range(2)]
    for net in nets:
        net.fit(x, y, epochs=3, batch_size=10, lr=0.1)
    for p, q in zip(*(net.params() for net in nets)):
        np.testing.assert_array_equal(p.value, q.value)
    other = NetworkN([2, 8, 1], seed=8)
    assert not np.array_equal(other.layers[0].W.value, nets[0].layers[0].W.value)


def test_a_generator_seeds_a_model_too():
    a = NetworkN([2, 3, 1], seed=np.random.default_rng(5))
    b = NetworkN([2, 3, 1], seed=5)
    np.testing.assert_array_equal(a.layers[0].W.value, b.layers[0].W.value)


def test_early_stopping_restores_the_best_weights():
    (x, y), (xv, yv) = _regression_data(0, n=20), _regression_data(1, n=200)
    # a wide net trained hard on 20 points overfits: val_loss turns up again
    net = NetworkN([2, 64, 64, 1], activations=["tanh", "tanh", "linear"],
                   optimizer=lambda: Adam(lr=0.01), seed=0)
    history = net.fit(x, y, epochs=500, batch_size=None, validation_data=(xv, yv), patience=10)
    assert history.stop_reason == "early_stopping"
    best = history.best_epoch
    assert history.val_loss[best - 1] == min(history.val_loss)
    assert len(history) == best + 10
    assert net.loss(xv, yv) == pytest.approx(history.val_loss[best - 1], rel=1e-6)


def test_a_nan_loss_stops_training_with_a_message():
    x, y = _regression_data()
    net = NetworkN([2, 8, 1], activations=["relu", "linear"], seed=0)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="learning rate too high.*not scaled"):
        history = net.fit(x * 1e3, y, epochs=50, batch_size=None, lr=1e3)
    assert history.stop_reason == "non_finite"
    assert len(history) < 50


@pytest.mark.parametrize("optimizer", [None, "adam"])
def test_a_nan_loss_restores_the_weights_of_the_last_finite_epoch(optimizer):
    x, y = _regression_data()
    nets = [NetworkN([2, 8, 1], activations=["relu", "linear"], optimizer=optimizer, seed=0)
            for _ in range(2)]
    run = dict(batch_size=None, lr=1e3 if optimizer is None else 1e10, shuffle=False)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        history = nets[0].fit(x * 1e3, y, epochs=50, **run)
    finite_epochs = len(history) - 1
    assert history.stop_reason == "non_finite" and history.best_epoch == finite_epochs
    if finite_epochs:
        with np.errstate(all="ignore"):
            nets[1].fit(x * 1e3, y, epochs=finite_epochs, **run)
    for p, q in zip(nets[0].params(), nets[1].params()):
        assert np.isfinite(p.value).all(), p.name
        np.testing.assert_array_equal(p.value, q.value, err_msg=p.name)
    restored, twin = (net.optimizer.state_arrays() for net in nets)   # Adam's moments too
    for key in twin:
        np.testing.assert_array_equal(restored[key], twin[key], err_msg=key)


def test_fit_stops_at_the_error_threshold():
    net = NetworkN([2, 8, 1], optimizer=lambda: Adam(lr=0.05), seed=0)
    history = net.fit(XOR_X, XOR_Y, epochs=2000, batch_size=None, error_threshold=0.01)
    assert history.stop_reason == "error_threshold"
    assert history.loss[-1] <= 0.01 < history.loss[-2]


def test_fit_stops_at_the_timeout():
    ticks = iter(range(10**6))                       # a clock that moves 1 s per reading
    history = NetworkN([2, 8, 1], seed=0).fit(XOR_X, XOR_Y, epochs=100, timeout=3.5,
                                              clock=lambda: float(next(ticks)))
    assert history.stop_reason == "timeout"
    assert history.time == [1.0, 2.0, 3.0, 4.0]


def test_the_callback_runs_every_k_epochs_and_can_stop_training():
    seen = []

    def callback(epoch, record):
        seen.append((epoch, record["loss"]))
        return epoch >= 9

    history = NetworkN([2, 4, 1], seed=0).fit(XOR_X, XOR_Y, epochs=100, callback=callback,
                                              callback_every=3)
    assert [epoch for epoch, _ in seen] == [3, 6, 9]
    assert seen[-1][1] == history.loss[-1]
    assert history.stop_reason == "callback" and len(history) == 9


@pytest.mark.parametrize("verbose", [0, 1, 2])
def test_verbosity_writes_progress_to_stderr_only(verbose, capsys):
    NetworkN([2, 4, 1], seed=0).fit(XOR_X, XOR_Y, epochs=3, verbose=verbose)
    out, err = capsys.readouterr()
    assert out == ""
    if verbose == 0:
        assert err == ""
    elif verbose == 1:
        assert "3/3" in err
    else:
        assert err.count("\n") == 3 and "epoch 2/3  loss" in err


# summary and drawing

def test_summary_lists_layers_shapes_and_parameter_counts():
    net = NetworkN([3, 5, 2], activations=["relu", "softmax"], optimizer="adam")
    text = net.summary()
    assert "3 -> 5 -> 2" in text and "cross_entropy" in text and "Adam" in text
    assert "layers.0  relu        (B, 5)  20" in text
    assert "layers.1  softmax     (B, 2)  12" in text
    assert text.endswith(f"total params: {net.n_params()}") and net.n_params() == 32
    assert "total params: 2" in Neuron().summary()


def test_svg_draws_neurons_and_weights_by_sign_and_size():
    net = NetworkN([2, 3, 1], seed=0)
    root = ET.fromstring(net.to_svg())
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}circle")) == 6
    lines = root.findall(f"{ns}line")
    weights = np.concatenate([layer.W.value.ravel() for layer in net.layers])
    assert len(lines) == weights.size == 9
    for line, w in zip(lines, weights):
        assert line.get("stroke") == (POSITIVE if w >= 0 else NEGATIVE)
    widths = [float(line.get("stroke-width")) for line in lines]
    assert np.argmax(widths) == np.argmax(np.abs(weights))


def _circles(svg: str):
    """(root, circles as (cx, cy, r, element)) of a drawing."""
    root = ET.fromstring(svg)
    return root, [(float(c.get("cx")), float(c.get("cy")), float(c.get("r")), c)
                  for c in root.findall(f"{SVG}circle")]


def test_svg_keeps_neurons_of_a_large_layer_readable_in_a_small_picture():
    net = NetworkN([3, 40, 2], seed=0)
    root, circles = _circles(net.to_svg(width=200, height=150))
    width, height = float(root.get("width")), float(root.get("height"))
    assert len(circles) == 45
    radius = circles[0][2]
    assert radius >= MIN_RADIUS and all(r == radius for _, _, r, _ in circles)
    for cx, cy, r, _ in circles:                              # inside the picture
        assert r <= cx <= width - r and r <= cy <= height - r
    column = sorted(cy for cx, cy, _, _ in circles if cx == circles[3][0])
    assert len(column) == 40 and min(np.diff(column)) >= 2 * radius   # no overlaps


def test_svg_of_a_small_net_keeps_the_requested_size_and_the_largest_radius():
    root, circles = _circles(NetworkN([2, 3, 1], seed=0).to_svg(width=300, height=200))
    assert (root.get("width"), root.get("height")) == ("300", "200")
    assert all(r == MAX_RADIUS for _, _, r, _ in circles)


def test_svg_shows_each_bias_by_colour_size_and_title():
    net = NetworkN([2, 3, 1], seed=0)
    net.layers[0].b.value[:] = [0.5, -2.0, 0.0]
    net.layers[1].b.value[:] = [1.0]
    _, circles = _circles(net.to_svg())
    neurons = [c for _, _, _, c in circles[2:]]               # after the two inputs
    assert [c.find(f"{SVG}title").text for c in neurons] == ["bias 0.5", "bias -2", "bias 0", "bias 1"]
    assert [c.get("fill") for c in neurons[:2]] == [POSITIVE, NEGATIVE]
    assert [float(c.get("fill-opacity")) for c in neurons] == [0.25, 1.0, 0.0, 0.5]


# the example scripts

EXAMPLES = Path(__file__).resolve().parents[1] / "scripts" / "examples"


@pytest.mark.parametrize("script, args, expected, writes", [
    ("xor.py", ["--svg", "xor.svg"], "(4/4 right)", ["xor.svg"]),
    ("quadrants.py", ["--points", "300", "--epochs", "5"], "accuracy on 300 fresh points", []),
])
def test_example_scripts_print_their_result(script, args, expected, writes, tmp_path, monkeypatch,
                                            capsys):
    monkeypatch.chdir(tmp_path)
    assert runpy.run_path(str(EXAMPLES / script))["main"](args) == 0
    assert expected in capsys.readouterr().out
    assert sorted(path.name for path in tmp_path.iterdir()) == writes
