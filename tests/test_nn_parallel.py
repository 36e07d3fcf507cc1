"""Data parallelism on threads: sharded batches give the serial results."""

import numpy as np
import pytest

from sudoku_tf.nn import NetworkTransformer, parallel

T = 12


@pytest.fixture(autouse=True)
def restore_threads():
    before = parallel.get_threads()
    yield
    parallel.set_threads(before)


def _model(seed=0, **kw):
    return NetworkTransformer(seq_len=T, vocab_size=5, d_model=8, n_heads=2, d_ff=16, n_blocks=2,
                              n_classes=4, n_loops=2, seed=seed, **kw)


def _batch(n=40, seed=1):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, 5, (n, T))
    targets = rng.integers(0, 4, (n, T))
    mask = rng.random((n, T)) * (rng.random((n, T)) < 0.6)     # uneven float weights per row
    return tokens, targets, mask


def _loss_and_grads(model, threads, batch):
    parallel.set_threads(threads)
    model.zero_grad()
    loss = model.loss_and_grad(*batch)
    return loss, [p.grad.copy() for p in model.params()]


@pytest.mark.parametrize("threads", [2, 3])
def test_sharded_loss_and_gradients_equal_the_serial_ones(threads):
    model, batch = _model().astype(np.float64), _batch()
    loss1, grads1 = _loss_and_grads(model, 1, batch)
    loss_n, grads_n = _loss_and_grads(model, threads, batch)
    assert len(parallel.shards(len(batch[0]))) == threads
    assert loss_n == pytest.approx(loss1, rel=1e-12)
    for g1, gn in zip(grads1, grads_n):
        np.testing.assert_allclose(gn, g1, rtol=1e-9, atol=1e-13)


def test_sharded_gradients_accumulate_like_serial_ones():
    model, batch = _model().astype(np.float64), _batch()
    _, once = _loss_and_grads(model, 1, batch)
    parallel.set_threads(2)
    model.zero_grad()
    model.loss_and_grad(*batch)
    model.loss_and_grad(*batch)                       # adds to .grad, as the serial path does
    for p, g in zip(model.params(), once):
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-9, atol=1e-13)


def test_replicas_share_weights_and_optimizer_but_not_gradients_or_caches():
    model, batch = _model(), _batch()
    _loss_and_grads(model, 2, batch)
    for rep in model._replicas.copies:
        assert rep._optimizer is model._optimizer
        for p, r in zip(model.params(), rep.params()):
            assert r.value is p.value and r.grad is not p.grad
        assert rep.blocks[0].attn._cache is not model.blocks[0].attn._cache


def test_replicas_follow_weights_replaced_after_they_were_built():
    model, batch = _model(), _batch()
    _loss_and_grads(model, 2, batch)                  # replicas built on float32 weights
    model.astype(np.float64)                          # every weight array replaced
    loss2, grads2 = _loss_and_grads(model, 2, batch)
    loss1, grads1 = _loss_and_grads(model, 1, batch)
    assert loss2 == pytest.approx(loss1, rel=1e-12)
    for g1, g2 in zip(grads1, grads2):
        np.testing.assert_allclose(g2, g1, rtol=1e-9, atol=1e-13)


def test_training_steps_update_the_weights_the_replicas_read():
    batch = _batch()
    losses = {}
    for threads in (1, 2):
        model = _model(seed=3).astype(np.float64)
        parallel.set_threads(threads)
        losses[threads] = [model.train(*batch[:2], lr=1e-2, mask=batch[2]) for _ in range(5)]
    np.testing.assert_allclose(losses[2], losses[1], rtol=1e-9)
    assert losses[2][-1] < losses[2][0]


def test_sharded_predict_and_attention_maps_equal_the_serial_ones():
    model, (tokens, _, _) = _model(), _batch()
    parallel.set_threads(1)
    probs1 = model.predict(tokens)
    maps1 = model.get_attention_weights()
    parallel.set_threads(2)
    probs2 = model.predict(tokens)
    maps2 = model.get_attention_weights()
    np.testing.assert_allclose(probs2, probs1, rtol=1e-5, atol=1e-6)
    # predict keeps the maps of its last pass: one per block
    assert [m.shape for m in maps2] == [m.shape for m in maps1] == [(40, 2, T, T)] * 2
    for m1, m2 in zip(maps1, maps2):
        np.testing.assert_allclose(m2, m1, rtol=1e-5, atol=1e-6)
    model.forward(tokens[:3])                         # a later serial pass is what is reported
    assert model.get_attention_weights()[0].shape == (3, 2, T, T)


def test_shards_cover_the_batch_and_small_batches_stay_whole():
    parallel.set_threads(2)
    assert parallel.shards(64) == [slice(0, 32), slice(32, 64)]
    assert parallel.shards(2 * parallel.MIN_SHARD - 1) == [slice(0, 2 * parallel.MIN_SHARD - 1)]
    assert parallel.shards(1) == [slice(0, 1)]
    assert parallel.shards(4) == [slice(0, 2), slice(2, 4)]   # what one board x 4 symmetries sends
    parallel.set_threads(3)
    assert [s.stop - s.start for s in parallel.shards(40)] == [13, 14, 13]
    parallel.set_threads(1)
    assert parallel.shards(1000) == [slice(0, 1000)]


def test_an_error_in_a_shard_reaches_the_caller():
    parallel.set_threads(2)
    with pytest.raises(ZeroDivisionError):
        parallel.run(lambda x: 1 / x, [1, 0])


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2"])
def test_set_threads_rejects_anything_but_a_positive_integer(bad):
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        parallel.set_threads(bad)


def test_sharded_recurrent_runs_equal_serial_ones_states_included():
    """Truncated passes over a carried state, with feedback, split over threads."""
    batch = _batch()
    results = {}
    for threads in (1, 2):
        model = _model(seed=4, feedback=True).astype(np.float64)
        parallel.set_threads(threads)
        model.predict(batch[0], passes=2)
        losses = [model.train(*batch[:2], lr=1e-2, mask=batch[2], passes=4, grad_passes=2,
                              state=model.last_state) for _ in range(3)]
        results[threads] = losses, model.last_state, model.predict(batch[0], passes=3)
    np.testing.assert_allclose(results[2][0], results[1][0], rtol=1e-9)
    np.testing.assert_allclose(results[2][1].x, results[1][1].x, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(results[2][2], results[1][2], rtol=1e-7, atol=1e-10)


def test_attention_maps_come_from_the_last_forward_whichever_call_ran_it():
    parallel.set_threads(2)
    model, (tokens, targets, mask) = _model(), _batch(32)
    model.train(tokens, targets, mask=mask)                     # fresh model, trained in shards
    assert [m.shape for m in model.get_attention_weights()] == [(32, 2, T, T)] * 4
    model.predict(tokens[:2])
    model.train(tokens, targets, mask=mask)
    assert model.get_attention_weights()[0].shape == (32, 2, T, T)
    model.predict(tokens[0])                                    # one sequence, then a batch
    model.train(tokens[:4], targets[:4], mask=mask[:4])
    assert model.get_attention_weights()[0].shape == (4, 2, T, T)


def test_a_batch_too_small_to_split_runs_with_blas_on_one_thread(monkeypatch):
    """BLAS threads spinning for a core on a busy machine made small batches crawl."""
    from threadpoolctl import threadpool_info, threadpool_limits

    model, seen = _model(), []
    forward = model.forward

    def recording(*args, **kw):
        seen.append({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})
        return forward(*args, **kw)

    monkeypatch.setattr(model, "forward", recording)
    with threadpool_limits(2, user_api="blas"):
        model.predict(_batch(n=1)[0])
        model.loss_and_grad(*_batch(n=3))
        after = {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    assert seen == [{1}, {1}] and after == {2}
