"""Gradient checks and behaviour of LayerNorm, embeddings, attention, blocks and NetworkTransformer."""

import numpy as np
import pytest

from gradcheck import assert_backward_accumulates, assert_close, check_layer, check_loss
from sudoku_tf.nn import (AttentionHead, EmbeddingMatrix, LayerNorm, MultiHeadAttention,
                          NetworkTransformer, TransformerBlock, WeightMatrix, load, save)
from sudoku_tf.nn.attention import attend

B, T, D, H = 2, 5, 6, 2


def _x(seed=0, shape=(B, T, D)):
    return np.random.default_rng(seed).standard_normal(shape)


def test_layernorm_grad_matches_finite_differences():
    layer = LayerNorm(D)
    layer.gamma.value[:] = np.linspace(0.5, 1.5, D)
    layer.beta.value[:] = np.linspace(-0.2, 0.3, D)
    assert_close(check_layer(layer, _x()))


def test_weight_matrix_grad_matches_finite_differences():
    assert_close(check_layer(WeightMatrix(D, 7, seed=1), _x()))


@pytest.mark.parametrize("n_rows", [4, 300], ids=["one-hot-path", "scatter-path"])
def test_embedding_grad_matches_finite_differences_with_repeated_ids(n_rows):
    """Both ways backward scatters (a one-hot product up to 256 rows, np.add.at above)."""
    ids = np.array([[0, 3, 3, 1], [2, 3, 0, 0]]) * ((n_rows - 1) // 3)        # up to row n - 1
    assert_close(check_layer(EmbeddingMatrix(n_rows, D, seed=2), ids, check_input=False))


@pytest.mark.parametrize("causal", [False, True])
def test_attention_grad_matches_finite_differences(causal):
    assert_close(check_layer(MultiHeadAttention(D, H, causal=causal, seed=3), _x()))


@pytest.mark.parametrize("causal", [False, True])
def test_single_attention_head_grad_matches_finite_differences(causal):
    assert_close(check_layer(AttentionHead(D, 4, causal=causal, seed=4), _x()))


@pytest.mark.parametrize("norm", ["pre", "post"])
def test_transformer_block_grad_matches_finite_differences(norm):
    block = TransformerBlock(D, H, d_ff=7, norm=norm, seed=5)
    block.ffn.up.b.value[:] = 0.3   # keep ReLU inputs away from the kink
    assert_close(check_layer(block, _x(6)))


# a relation matrix for T tokens: same token, a neighbour, anything else
RELATIONS = np.where(np.eye(T, dtype=bool), 0, np.where(abs(np.subtract.outer(np.arange(T), np.arange(T))) == 1, 1, 2))


def _with_bias(layer, seed=11):
    """layer with its relation bias moved off zero, so the check sees it at work."""
    bias = layer.attn.relation_bias if isinstance(layer, TransformerBlock) else layer.relation_bias
    bias.value[...] = np.random.default_rng(seed).standard_normal(bias.value.shape)
    return layer


@pytest.mark.parametrize("causal", [False, True])
def test_attention_with_a_relation_bias_grad_matches_finite_differences(causal):
    layer = _with_bias(MultiHeadAttention(D, H, causal=causal, seed=3, relations=RELATIONS))
    errors = check_layer(layer, _x())
    assert set(errors) == {"qkv.W", "qkv.b", "relation_bias", "out.W", "out.b", "x"}
    assert_close(errors)


def test_single_head_and_block_with_a_relation_bias_grad_match_finite_differences():
    assert_close(check_layer(_with_bias(AttentionHead(D, 4, seed=4, relations=RELATIONS)), _x()))
    block = _with_bias(TransformerBlock(D, H, d_ff=7, seed=5, relations=RELATIONS))
    block.ffn.up.b.value[:] = 0.3
    assert_close(check_layer(block, _x(6)))


def test_the_relation_bias_adds_one_learned_score_per_head_and_relation():
    """A zero bias changes nothing; a bias of +50 on 'neighbour' for head 0 only makes
    that head put all its mass on the neighbours, leaving head 1 as it was."""
    plain = MultiHeadAttention(D, H, seed=3)
    biased = MultiHeadAttention(D, H, seed=3, relations=RELATIONS)
    assert biased.relation_bias.value.shape == (H, 3)
    x = _x().astype(np.float32)
    np.testing.assert_allclose(biased.forward(x), plain.forward(x), rtol=1e-6)
    biased.relation_bias.value[0, 1] = 50.0
    biased.forward(x)
    plain.forward(x)
    neighbours = (RELATIONS == 1)
    np.testing.assert_allclose(biased.attention_weights[:, 0].sum(-1, where=neighbours), 1, atol=1e-5)
    np.testing.assert_allclose(biased.attention_weights[:, 1], plain.attention_weights[:, 1], rtol=1e-5)


@pytest.mark.parametrize("relations, message", [
    (np.zeros((T, T + 1), int), "square"), (-np.ones((T, T), int), "non-negative"),
    (np.zeros((T, T)) + 0.5, "integer")])
def test_a_bad_relation_matrix_is_refused(relations, message):
    with pytest.raises(ValueError, match=message):
        MultiHeadAttention(D, H, relations=relations)


def test_a_relation_matrix_for_another_length_names_both_lengths():
    layer = MultiHeadAttention(D, H, relations=RELATIONS)
    with pytest.raises(ValueError, match=f"for {T} tokens, the input has {T + 1}"):
        layer.forward(_x(shape=(B, T + 1, D)))


@pytest.mark.parametrize("layer", [MultiHeadAttention(D, H), AttentionHead(D, 4)],
                         ids=["multi-head", "single head"])
@pytest.mark.parametrize("shape", [(T, D), (B, T, D + 1)], ids=["2-D", "wrong width"])
def test_attention_names_the_expected_input_shape(layer, shape):
    with pytest.raises(ValueError, match=rf"expects inputs \(B, T, {D}\)") as err:
        layer.forward(np.zeros(shape))
    assert f"got shape {shape}" in str(err.value)


def _tiny_model(**kw):
    args = dict(seq_len=T, vocab_size=4, d_model=D, n_heads=H, d_ff=7, n_blocks=2,
                n_classes=3, seed=7)
    args.update(kw)
    return NetworkTransformer(**args)


def _task(seed=8):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 4, (B, T)), rng.integers(0, 3, (B, T)), rng.random((B, T)) < 0.6


@pytest.mark.parametrize("kw", [
    {}, {"norm": "post"}, {"n_loops": 3},
    {"positions": [[0, 0, 1, 1, 2], [0, 1, 0, 1, 0]]},
    {"n_loops": 3, "feedback": True}, {"n_loops": 2, "feedback": True, "norm": "post"},
    {"n_loops": 3, "feedback": True, "state_norm": True},
    {"n_loops": 2, "feedback": True, "relations": RELATIONS.tolist()},
], ids=["plain", "post-norm", "recurrent-depth", "factorised-positions", "feedback",
        "feedback-post-norm", "state-norm", "relation-bias"])
def test_network_transformer_masked_loss_grad_matches_finite_differences(kw):
    model = _tiny_model(**kw)
    tokens, targets, mask = _task()
    assert_close(check_loss(model, lambda: model.loss_and_grad(tokens, targets, mask),
                            lambda: model.loss(tokens, targets, mask)))


RECURRENT = [{"feedback": False}, {"feedback": True}, {"feedback": True, "state_norm": True}]
RECURRENT_IDS = ["plain", "feedback", "feedback-state-norm"]


@pytest.mark.parametrize("kw", RECURRENT, ids=RECURRENT_IDS)
def test_gradient_free_passes_then_graded_ones_match_finite_differences(kw):
    """5 passes, the first 3 gradient-free: the gradient is that of the last 2 passes'
    loss with the state the first 3 reached held fixed (truncated recursion)."""
    model = _tiny_model(**kw).astype(np.float64)
    tokens, targets, mask = _task()
    model.forward(tokens, passes=3)
    start = model.last_state                           # held fixed while weights are nudged
    truncated = dict(passes=5, grad_passes=2)
    assert model.loss(tokens, targets, mask, **truncated) == pytest.approx(
        model.loss(tokens, targets, mask, passes=2, state=start), rel=1e-12)
    assert_close(check_loss(model, lambda: model.loss_and_grad(tokens, targets, mask, **truncated),
                            lambda: model.loss(tokens, targets, mask, passes=2, state=start)))


@pytest.mark.parametrize("kw", RECURRENT, ids=RECURRENT_IDS)
def test_a_carried_state_gets_no_gradient_and_the_rest_matches_finite_differences(kw):
    model = _tiny_model(**kw, n_loops=2).astype(np.float64)
    tokens, targets, mask = _task()
    model.forward(tokens)
    state = model.last_state                           # held fixed while weights are nudged
    assert_close(check_loss(model, lambda: model.loss_and_grad(tokens, targets, mask, state=state),
                            lambda: model.loss(tokens, targets, mask, state=state)))


@pytest.mark.parametrize("kw", RECURRENT, ids=RECURRENT_IDS)
def test_passes_split_across_calls_by_the_carried_state_equal_one_long_call(kw):
    model = _tiny_model(**kw, n_loops=2)
    tokens = np.random.default_rng(3).integers(0, 4, (3, T))
    once = model.predict(tokens, passes=5)
    model.predict(tokens, passes=2)
    again = model.predict(tokens, passes=3, state=model.last_state)
    np.testing.assert_allclose(again, once, rtol=1e-5, atol=1e-6)
    logits = model.forward(tokens, passes=5, grad_passes=2)
    assert logits.shape == (2, 3, T, 3)
    np.testing.assert_allclose(model.predict(tokens, passes=5), once, rtol=1e-5, atol=1e-6)


def test_feedback_changes_the_prediction_and_adds_one_projection():
    plain, fed = _tiny_model(n_loops=2), _tiny_model(n_loops=2, feedback=True)
    assert fed.n_params() - plain.n_params() == 3 * D       # (C, D), no bias
    tokens = np.zeros((1, T), int)
    np.testing.assert_allclose(fed.predict(tokens, passes=1), plain.predict(tokens, passes=1))
    assert not np.allclose(fed.predict(tokens), plain.predict(tokens))
    assert "prediction feedback" in fed.summary()


def test_the_state_norm_keeps_the_carried_state_from_growing_with_passes():
    tokens = np.random.default_rng(4).integers(0, 4, (3, T))

    def state_size(model, passes):
        model.predict(tokens, passes=passes)
        return np.linalg.norm(model.last_state.x)

    plain, normed = _tiny_model(), _tiny_model(state_norm=True)
    assert state_size(plain, 32) > 4 * state_size(plain, 2)        # residuals pile up
    assert state_size(normed, 32) < 1.5 * state_size(normed, 2)
    assert normed.n_params() - plain.n_params() == 2 * D           # gamma and beta
    assert "state norm" in normed.summary()


def test_gradient_free_passes_keep_no_backward_caches():
    model = _tiny_model(n_loops=2)
    model.forward(np.zeros((2, T), int), passes=6, grad_passes=2)
    assert model._free.blocks[0].attn._cache is None
    assert len(model.get_attention_weights()) == 2 * 2      # the graded passes' maps only
    with pytest.raises(ValueError, match="grad_passes"):
        model.forward(np.zeros((2, T), int), passes=2, grad_passes=3)
    with pytest.raises(ValueError, match="passes must be a positive"):
        model.predict(np.zeros((2, T), int), passes=0)


def test_masked_out_tokens_do_not_change_the_loss():
    model = _tiny_model()
    tokens = np.zeros((1, T), int)
    mask = np.array([[1, 1, 0, 0, 0]])
    a = model.loss(tokens, [[0, 1, 2, 2, 2]], mask)
    b = model.loss(tokens, [[0, 1, 0, 1, 0]], mask)
    assert a == b


def test_float32_in_gives_float32_out_everywhere():
    model = _tiny_model(n_loops=2)
    assert model.predict(np.zeros((3, T), int)).dtype == np.float32
    block = TransformerBlock(D, H, 7)
    assert block.forward(_x().astype(np.float32)).dtype == np.float32


def test_batch_rows_equal_single_sequences():
    model = _tiny_model()
    tokens = np.random.default_rng(0).integers(0, 4, (3, T))
    batch = model.predict(tokens)
    for i in range(3):
        np.testing.assert_allclose(batch[i], model.predict(tokens[i]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("causal", [False, True])
def test_attention_split_into_cache_sized_chunks_equals_one_sequence_at_a_time(causal):
    """A batch big enough for several cache-sized chunks gives the same rows and gradients."""
    layer = MultiHeadAttention(8, 2, causal=causal, seed=9)
    x = _x(10, (40, 81, 8)).astype(np.float32)                 # 40 * 2 * 81 * 81 * 4 B: 3+ chunks
    dy = _x(11, x.shape).astype(np.float32)
    y, dx = layer.forward(x), layer.backward(dy)
    grads = [p.grad.copy() for p in layer.params()]
    layer.zero_grad()
    for i in (0, 17, 39):
        np.testing.assert_allclose(layer.forward(x[i:i + 1])[0], y[i], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(layer.backward(dy[i:i + 1])[0], dx[i], rtol=1e-4, atol=1e-5)
    layer.zero_grad()
    for i in range(len(x)):
        layer.forward(x[i:i + 1])
        layer.backward(dy[i:i + 1])
    for a, p in zip(grads, layer.params()):
        np.testing.assert_allclose(p.grad, a, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("size", [-300.0, -80.0, 80.0, 300.0])
def test_attention_with_scores_that_overflow_or_underflow_exp_matches_a_float64_softmax(size):
    """Scores far past exp's float32 range in one row of each sequence: the row sums show
    it and the scores are shifted by their row max; other rows stay as they are."""
    rng = np.random.default_rng(12)
    q, k, v = (rng.standard_normal((3, 2, 7, 4)).astype(np.float32) for _ in range(3))
    k[:, :, 0] = k[:, :, 1] = 1.0
    q[:, :, 2] = size / 2                                    # row 2: scores of about `size`
    ctx, weights, rowsum = attend(q, k, v, causal=False)
    scores = q.astype(np.float64) @ k.astype(np.float64).transpose(0, 1, 3, 2) / 2
    probs = np.exp(scores - scores.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    np.testing.assert_allclose(weights / rowsum, probs, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ctx, probs @ v, rtol=1e-4, atol=1e-5)


def test_attention_weights_are_row_stochastic_and_causal_hides_the_future():
    model = _tiny_model(n_loops=2)
    model.predict(np.zeros(T, int))
    maps = model.get_attention_weights()                 # predict keeps its last pass
    assert len(maps) == 2 and maps[0].shape == (H, T, T)
    model.forward(np.zeros((1, T), int))
    assert len(model.get_attention_weights()) == 4       # forward keeps every pass
    np.testing.assert_allclose(maps[0].sum(-1), 1, rtol=1e-5)
    attn = MultiHeadAttention(D, H, causal=True)
    attn.forward(_x().astype(np.float32))
    assert np.all(np.triu(attn.attention_weights[0, 0], k=1) == 0)


def test_two_backwards_double_the_gradient_and_zero_grad_clears():
    assert_backward_accumulates(MultiHeadAttention(D, H, seed=1), _x().astype(np.float32))


def test_backward_before_forward_raises_a_clear_error():
    with pytest.raises(RuntimeError, match="before forward"):
        LayerNorm(D).backward(np.zeros((1, D)))


def test_reference_flat_one_hot_targets_equal_class_ids():
    model = _tiny_model()
    tokens = np.arange(T) % 4
    ids = np.array([0, 2, 1, 1, 0])
    onehot = np.eye(3)[ids].reshape(-1)
    assert model.loss(tokens, onehot) == pytest.approx(model.loss(tokens, ids))


@pytest.mark.slow
def test_transformer_learns_which_tokens_repeat_elsewhere():
    """A task that needs attention: label each token 1 if its value occurs elsewhere."""
    rng = np.random.default_rng(0)
    model = NetworkTransformer(seq_len=8, vocab_size=6, d_model=32, n_heads=4, d_ff=64,
                               n_blocks=2, n_classes=2, seed=0)

    def batch(n):
        x = rng.integers(0, 6, (n, 8))
        counts = (x[:, :, None] == x[:, None, :]).sum(-1)
        return x, (counts > 1).astype(int)

    first = None
    for _ in range(400):
        x, y = batch(64)
        loss = model.train(x, y, lr=3e-3)
        first = first if first is not None else loss
    x, y = batch(500)
    accuracy = (model.predict(x).argmax(-1) == y).mean()
    assert loss < first / 4
    assert accuracy >= 0.95


def test_save_load_round_trips_predictions_and_training_continues(tmp_path):
    model = _tiny_model(n_loops=2, positions=[[0, 0, 1, 1, 2]])
    tokens = np.random.default_rng(1).integers(0, 4, (2, T))
    model.train(tokens, np.zeros((2, T), int))
    save(model, tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    np.testing.assert_array_equal(loaded.predict(tokens), model.predict(tokens))
    before = loaded.loss(tokens, np.zeros((2, T), int))
    for _ in range(5):
        loaded.train(tokens, np.zeros((2, T), int))
    assert loaded.loss(tokens, np.zeros((2, T), int)) < before


def test_bad_shapes_raise_value_errors_naming_the_problem():
    with pytest.raises(ValueError, match="multiple of n_heads"):
        MultiHeadAttention(10, 3)
    with pytest.raises(ValueError, match="norm"):
        TransformerBlock(8, 2, 8, norm="middle")
    with pytest.raises(ValueError, match="expected sequences of 5"):
        _tiny_model().predict(np.zeros(6, int))


def test_a_relation_bias_is_saved_with_its_relations_and_loads_back(tmp_path):
    model = _tiny_model(relations=RELATIONS.tolist())
    for block in model.blocks:
        _with_bias(block)
    tokens = np.random.default_rng(2).integers(0, 4, (2, T))
    save(model, tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    np.testing.assert_array_equal(loaded.blocks[1].attn.relation_bias.value,
                                  model.blocks[1].attn.relation_bias.value)
    np.testing.assert_array_equal(loaded.predict(tokens), model.predict(tokens))
    assert not np.allclose(model.predict(tokens), _tiny_model().predict(tokens))
