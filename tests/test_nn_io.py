"""save / load with the dense models: exact round trips, continued training, refusals."""

import json

import numpy as np
import pytest

from corrupt import CORRUPTIONS
from sudoku_tf.nn import (SGD, Adam, AdamW, Layer, ModelFileError, Momentum, Network, NetworkLSTM, NetworkN,
                          NetworkTransformer, NetworkTransformerRL, Neuron, NeuronN, WarmupCosine, load,
                          load_with_meta, save)
from sudoku_tf.nn.io import CONFIG_KEY, FORMAT_VERSION, read_header, write_npz_atomic

X = np.random.default_rng(0).uniform(-1, 1, (8, 3)).astype(np.float32)
Y = (X.sum(1) > 0).astype(np.float32)

MODELS = {
    "NetworkN": lambda: NetworkN([3, 5, 4, 1], activations=["relu", "gelu", "sigmoid"], optimizer="adam", seed=1),
    "softmax NetworkN": lambda: NetworkN([3, 4, 2], activations=["tanh", "softmax"], seed=2),
    "binary cross-entropy NeuronN": lambda: NeuronN(3, loss="binary_cross_entropy", seed=6),
    "Network": lambda: Network(3, 6, 1, activation="tanh", seed=3),
    "NeuronN": lambda: NeuronN(3, seed=4),
    "Layer": lambda: Layer(3, 2, "gelu", seed=5),
}


@pytest.mark.parametrize("make", MODELS.values(), ids=MODELS.keys())
def test_save_then_load_gives_identical_predictions(make, tmp_path):
    model = make()
    rng = np.random.default_rng(7)
    for p in model.params():            # weights the seed alone would not rebuild
        p.value[...] += rng.normal(0, 0.5, p.value.shape).astype(p.value.dtype)
    path = tmp_path / "model.npz"
    save(model, path)
    loaded = load(path)
    assert type(loaded) is type(model) and loaded.config() == model.config()
    np.testing.assert_array_equal(loaded.forward(X), model.forward(X))
    assert not np.array_equal(make().forward(X), model.forward(X))


def test_a_neuron_round_trips_too(tmp_path):
    neuron = Neuron(seed=0)
    neuron.fit(np.linspace(0, 1, 20), np.linspace(0, 1, 20) > 0.4, epochs=20, batch_size=None, lr=2.0)
    save(neuron, tmp_path / "neuron.npz")
    np.testing.assert_array_equal(load(tmp_path / "neuron.npz").predict([0.3, 0.5]), neuron.predict([0.3, 0.5]))


def test_training_continues_after_load(tmp_path):
    net = NetworkN([3, 5, 1], seed=0)
    net.fit(X, Y, epochs=5, batch_size=4, lr=0.5)
    save(net, tmp_path / "net.npz", meta={"epochs": 5})
    loaded, meta = load_with_meta(tmp_path / "net.npz")
    assert meta == {"epochs": 5}
    before = loaded.loss(X, Y)
    for model in (net, loaded):           # plain SGD has no state: both take the same steps
        for _ in range(50):
            model.train(X, Y, lr=0.5)
    assert loaded.loss(X, Y) < before
    for p, q in zip(net.params(), loaded.params()):
        np.testing.assert_array_equal(p.value, q.value)


def test_a_loaded_model_keeps_its_optimizer_kind(tmp_path):
    save(NetworkN([2, 2], optimizer="momentum"), tmp_path / "m.npz")
    assert type(load(tmp_path / "m.npz").optimizer).__name__ == "Momentum"


OPTIMIZED = {
    "NetworkN": lambda: NetworkN([3, 4, 1], optimizer=lambda: Adam(lr=0.05)),
    "Network": lambda: Network(3, 4, 1, optimizer=Momentum(lr=0.3, beta=0.7)),
    "Neuron": lambda: Neuron(optimizer=SGD(lr=0.7)),
    "NetworkLSTM": lambda: NetworkLSTM(2, 3, [1], optimizer=SGD(lr=0.2)),
    "NetworkTransformerRL": lambda: NetworkTransformerRL(3, 2, d_model=4, n_heads=2, n_actions=2,
                                                         optimizer=Adam(lr=0.02, beta1=0.8)),
    "NetworkTransformer": lambda: NetworkTransformer(
        4, vocab_size=3, d_model=4, n_heads=2, d_ff=5, n_blocks=1, n_classes=2,
        optimizer=AdamW(lr=3e-4, weight_decay=0.05, schedule=WarmupCosine(10, 100))),
}


@pytest.mark.parametrize("make", OPTIMIZED.values(), ids=OPTIMIZED.keys())
def test_a_loaded_model_keeps_its_optimizers_settings_and_schedule(make, tmp_path):
    model = make()
    save(model, tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz").optimizer
    assert type(loaded) is type(model.optimizer)
    assert loaded.config() == model.optimizer.config() and loaded.lr == model.optimizer.lr
    assert loaded.schedule == model.optimizer.schedule


def test_an_old_transformer_file_with_lr_and_warmup_loads_and_predicts_the_same(tmp_path):
    path = tmp_path / "old.npz"
    model = NetworkTransformer(4, vocab_size=3, d_model=4, n_heads=2, d_ff=5, n_blocks=1,
                               n_classes=2, seed=3)
    save(model, path)
    args = {k: v for k, v in model.config().items() if k != "optimizer"}
    _rewrite_header(path, args={**args, "lr": 0.002, "warmup": 4})   # the earlier format
    loaded = load(path)
    tokens = np.array([[0, 1, 2, 1], [2, 2, 0, 1]])
    np.testing.assert_array_equal(loaded.predict(tokens), model.predict(tokens))
    assert type(loaded.optimizer) is Adam and loaded.optimizer.lr == 0.002
    assert loaded.optimizer.current_lr() == pytest.approx(0.0005)     # warmup step 1 of 4


def test_an_old_transformer_file_with_clip_and_its_trainers_optimizer_loads_the_same(tmp_path):
    path = tmp_path / "old.npz"
    model = NetworkTransformer(4, vocab_size=3, d_model=4, n_heads=2, d_ff=5, n_blocks=1,
                               n_classes=2, seed=3)
    save(model, path)
    adamw = AdamW(lr=3e-4, schedule=WarmupCosine(10, 100)).config()
    _rewrite_header(path, args={**model.config(), "clip": 0.5, "optimizer": adamw})
    loaded = load(path)
    tokens = np.array([[0, 1, 2, 1], [2, 2, 0, 1]])
    np.testing.assert_array_equal(loaded.predict(tokens), model.predict(tokens))
    assert "clip" not in loaded.config() and loaded.optimizer.config() == adamw


def _rewrite_header(path, **changes):
    """Rewrites a saved model with some header fields changed."""
    header, arrays = read_header(path)
    header.update(changes)
    arrays[CONFIG_KEY] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    write_npz_atomic(path, arrays)


def test_an_unknown_format_version_names_both_versions(tmp_path):
    path = tmp_path / "net.npz"
    save(NetworkN([2, 3, 1]), path)
    _rewrite_header(path, format_version=FORMAT_VERSION + 98)
    with pytest.raises(ModelFileError, match=f"version {FORMAT_VERSION + 98}.*reads version {FORMAT_VERSION}"):
        load(path)


def test_a_mismatched_array_shape_is_refused(tmp_path):
    path = tmp_path / "net.npz"
    save(NetworkN([2, 3, 1]), path)
    _rewrite_header(path, args={"sizes": [2, 4, 1]})
    with pytest.raises(ModelFileError, match=r"'layers.0.W' has shape \(2, 3\).*needs \(2, 4\)"):
        load(path)


def test_an_unknown_class_is_refused(tmp_path):
    path = tmp_path / "net.npz"
    save(NetworkN([2, 3, 1]), path)
    _rewrite_header(path, **{"class": "Perceptron"})
    with pytest.raises(ModelFileError, match="unknown model class 'Perceptron'"):
        load(path)


@pytest.mark.parametrize("write", [
    lambda p: p.write_text("not a model"),
    lambda p: np.savez(p, W=np.ones(3)),
    lambda p: np.savez(p, **{CONFIG_KEY: np.array([{"a": 1}], dtype=object)}),
], ids=["text", "npz without config", "pickled object"])
def test_a_file_that_is_not_a_model_is_refused(write, tmp_path):
    path = tmp_path / "thing.npz"
    write(path)
    with pytest.raises(ModelFileError, match="not a model file"):
        load(path)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(ModelFileError, match="no such model file"):
        load(tmp_path / "missing.npz")


def test_numpy_integers_and_position_arrays_in_a_config_save_as_plain_json(tmp_path):
    model = NetworkTransformer(np.int64(4), vocab_size=np.int32(3), d_model=np.int64(4), n_heads=2,
                               d_ff=np.int64(5), n_blocks=1, n_classes=np.int64(2),
                               positions=np.array([[0, 0, 1, 1], [0, 1, 0, 1]]), seed=0)
    save(model, tmp_path / "t.npz")
    loaded = load(tmp_path / "t.npz")
    assert loaded.config() == model.config()
    assert loaded.config()["positions"] == [[0, 0, 1, 1], [0, 1, 0, 1]]
    tokens = np.array([[0, 1, 2, 1]])
    np.testing.assert_array_equal(loaded.predict(tokens), model.predict(tokens))


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
@pytest.mark.parametrize("make", [MODELS["NetworkN"], OPTIMIZED["NetworkTransformer"]],
                         ids=["NetworkN", "NetworkTransformer"])
def test_a_damaged_model_file_raises_model_file_error_in_one_line(make, corrupt, tmp_path):
    path = tmp_path / "bad.npz"
    save(make(), path)
    corrupt(path)
    with pytest.raises(ModelFileError) as err:
        load(path)
    message = str(err.value)
    assert message.startswith(str(path)) and "\n" not in message
    assert "pickled" not in message
