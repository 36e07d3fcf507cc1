"""Fixtures shared by several test files."""

import pytest

from sudoku_tf.nn import save
from sudoku_tf.train import TrainConfig, build_model

from standin import make_puzzles


@pytest.fixture(scope="session")
def puzzles():
    """Unique puzzles from few givens to many (the first two hard), their solutions."""
    return make_puzzles()


@pytest.fixture
def tiny_model_file(tmp_path):
    """A small untrained two-pass Sudoku model saved with a training note and no
    decoding settings."""
    path = tmp_path / "tiny.npz"
    save(build_model(TrainConfig(d_model=16, n_heads=2, d_ff=32, n_blocks=1, passes=2)), path,
         meta={"train": {"note": "kept"}})
    return path
