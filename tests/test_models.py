"""Model files: loaded with the decoding settings they carry, refused when they hold no
Sudoku model, and the shipped model found from any working directory."""

import ast
from pathlib import Path

import numpy as np
import pytest

from sudoku_tf import decode, models
from sudoku_tf.models import load_model, shipped, shipped_model, store_settings
from sudoku_tf.nn import ModelFileError, NetworkN, load_checkpoint, save

CHECKOUT = Path(__file__).resolve().parent.parent


@pytest.fixture
def model(tiny_model_file):
    return tiny_model_file


def test_stored_settings_come_back_and_leave_weights_and_meta_alone(model):
    before = load_model(model)
    assert before.settings == {} and before.path == model
    assert store_settings(model, {"symmetries": 4, "threshold": None}) == {"symmetries": 4}
    assert store_settings(model, {"passes": 3}) == {"symmetries": 4, "passes": 3}
    after = load_model(model)
    assert after.settings == {"symmetries": 4, "passes": 3}
    tokens = np.zeros((2, 81), int)
    np.testing.assert_array_equal(after.network.predict(tokens), before.network.predict(tokens))
    assert load_checkpoint(model)[1]["train"] == {"note": "kept"}
    assert store_settings(model, {"halt_after": 2}, reset=True) == {"halt_after": 2}


def test_a_network_that_is_not_a_sudoku_model_is_refused(tmp_path):
    save(NetworkN([2, 3, 1]), tmp_path / "xor.npz")
    with pytest.raises(ModelFileError, match="not a Sudoku model"):
        load_model(tmp_path / "xor.npz")
    with pytest.raises(ModelFileError, match="not a Sudoku model"):
        store_settings(tmp_path / "xor.npz", {"symmetries": 2})


def test_a_missing_file_is_refused_naming_it(tmp_path):
    with pytest.raises(ModelFileError, match="none.npz: no such model file"):
        load_model(tmp_path / "none.npz")


def test_the_shipped_model_is_found_beside_the_package_and_loads_with_its_settings(
        tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                                     # no models/ here
    assert shipped_model() == CHECKOUT / "models" / "default.npz"
    loaded = load_model()
    assert loaded.path == shipped_model() and loaded.settings
    assert loaded.settings == load_checkpoint(shipped_model())[1]["decode"]
    assert shipped("models/default.npz") == str(shipped_model())    # the default only
    assert shipped(Path("models/other.npz")) == Path("models/other.npz")


def test_without_a_checkout_the_shipped_model_is_missed_with_a_hint(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "CHECKOUT", tmp_path)          # an install without models/
    with pytest.raises(ModelFileError, match="comes with a checkout .* or pass a model file"):
        load_model()


def test_a_file_in_the_working_directory_beats_the_shipped_one(tmp_path, monkeypatch, model):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    model.rename(tmp_path / models.SHIPPED)
    assert shipped(models.SHIPPED) == models.SHIPPED
    assert shipped_model() != models.SHIPPED.resolve()


def test_decode_knows_nothing_of_model_files():
    """decode works on anything with `predict`; reading model files is models' business."""
    tree = ast.parse(Path(decode.__file__).read_text())
    imported = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert imported and not [m for m in imported if m and m.split(".")[-1] == "nn"
                             or m and m.startswith("nn.")]
