"""Gradient checks and behaviour of NetworkTransformerRL, and the memory task it learns."""

import runpy
from pathlib import Path

import numpy as np
import pytest

from gradcheck import assert_close, check_loss
from sudoku_tf.nn import NetworkTransformerRL, load, save
from sudoku_tf.nn.network_transformer_rl import _pool_weights

N, IN, D, H, A = 5, 3, 6, 2, 3
EXAMPLES = Path(__file__).resolve().parent.parent / "scripts" / "examples"


def _model(**kw):
    args = dict(seq_len=N, input_dim=IN, d_model=D, n_heads=H, d_ff=7, n_blocks=2,
                n_actions=A, seed=0)
    args.update(kw)
    return NetworkTransformerRL(**args)


def _sequences(seed=1, lengths=(4, 2, 7)):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, IN)).astype(np.float32) for n in lengths]


@pytest.mark.parametrize("norm", ["pre", "post"])
def test_q_loss_grad_matches_finite_differences_with_padding_and_action_mask(norm):
    model = _model(norm=norm)
    for block in model.blocks:
        block.ffn.up.b.value[:] = 0.3   # keep ReLU inputs away from the kink
    seqs = _sequences()
    targets = np.random.default_rng(2).standard_normal((3, A))
    mask = np.eye(A)[[0, 2, 1]]         # only the action taken counts
    assert_close(check_loss(model, lambda: model.loss_and_grad(seqs, targets, mask),
                            lambda: model.loss(seqs, targets, mask)))


def test_pooling_counts_the_newest_step_twice_and_skips_padding():
    w = _pool_weights(np.array([3, 1]), 4, np.float64)
    np.testing.assert_allclose(w, [[1 / 4, 1 / 4, 2 / 4, 0], [1, 0, 0, 0]])


def test_padded_batches_equal_single_sequences_and_long_ones_keep_the_last_steps():
    model = _model()
    seqs = _sequences()
    batch = model.predict(seqs)
    assert batch.shape == (3, A) and batch.dtype == np.float32
    for q, seq in zip(batch, seqs):
        np.testing.assert_allclose(q, model.predict(seq), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(model.predict(seqs[2]), model.predict(seqs[2][-N:]))
    same_length = np.stack(_sequences(3, (4, 4)))
    np.testing.assert_allclose(model.predict(same_length)[1], model.predict(same_length[1]),
                               rtol=1e-5, atol=1e-6)


def test_attention_is_causal_and_weights_per_block():
    model = _model()
    model.predict(_sequences()[0])
    maps = model.get_attention_weights()
    assert len(maps) == 2 and maps[0].shape == (H, 4, 4)
    np.testing.assert_allclose(maps[1].sum(-1), 1, rtol=1e-5)
    assert np.all(np.triu(maps[0], k=1) == 0)


def test_masked_out_actions_do_not_change_the_loss():
    model = _model()
    seq = _sequences()[0]
    mask = [0, 1, 0]
    assert model.loss(seq, [5, 1, -3], mask) == model.loss(seq, [0, 1, 0], mask)


def test_q_learning_with_attention_remembers_a_cue_that_a_one_step_window_cannot(capsys):
    demo = runpy.run_path(str(EXAMPLES / "rl_memory.py"))
    before, after = demo["train_agent"](rounds=150, seed=0)
    assert before < 0.5 and after >= 0.95
    _, memoryless = demo["train_agent"](rounds=150, window=1, seed=0)
    assert memoryless < 0.5
    assert demo["main"](["--rounds", "10"]) == 0
    assert "last step only" in capsys.readouterr().out


def test_save_load_round_trips_predictions_and_training_continues(tmp_path):
    model = _model(norm="post")
    seqs, targets = _sequences(), np.ones((3, A))
    model.train(seqs, targets)
    save(model, tmp_path / "rl.npz")
    loaded = load(tmp_path / "rl.npz")
    np.testing.assert_array_equal(loaded.predict(seqs), model.predict(seqs))
    before = loaded.loss(seqs, targets)
    for _ in range(5):
        loaded.train(seqs, targets)
    assert loaded.loss(seqs, targets) < before
    assert "NetworkTransformerRL" in loaded.summary()


def test_bad_shapes_raise_value_errors_naming_the_problem():
    model = _model()
    with pytest.raises(ValueError, match=r"shape \(T, 3\)"):
        model.predict(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="targets must have shape"):
        model.train(np.zeros((4, IN)), np.zeros(A + 1))
    with pytest.raises(ValueError, match="seq_len"):
        _model(seq_len=0)
