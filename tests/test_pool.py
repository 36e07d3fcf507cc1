"""The training pool: reproducible puzzles, lower givens by walking, difficulties that
survive a checkpoint, and draws weighted by them."""

import numpy as np
import pytest

from sudoku_tf.board import count_givens, is_valid_solution
from sudoku_tf.data import difficulty_weights, make_batch
from sudoku_tf.nn import load_checkpoint
from sudoku_tf import pool as pool_module
from sudoku_tf.pool import PuzzlePool, Stopped
from sudoku_tf.solver import count_solutions
from sudoku_tf.train import Trainer, TrainConfig, checkpoint_path

from standin import singles_solve


def test_walked_pool_puzzles_have_givens_in_range_and_follow_the_seed():
    puzzles, solutions = PuzzlePool(lo=17, seed=4, walk=(22, 23)).take(3)
    givens = count_givens(puzzles)
    assert ((givens >= 22) & (givens <= 23)).all()
    assert all(count_solutions(p) == 1 and is_valid_solution(p, s)
               for p, s in zip(puzzles, solutions))
    again, _ = PuzzlePool(lo=17, seed=4, walk=(22, 23)).take(3)
    assert (again == puzzles).all()


def test_pool_difficulty_is_the_solvers_guesses_and_survives_a_checkpoint():
    pool = PuzzlePool(lo=17, seed=1)
    puzzles, solutions = pool.take(8)
    assert ((pool.difficulty == 0) == singles_solve(puzzles)).all() and pool.difficulty.any()
    saved = {"puzzles": puzzles.copy(), "solutions": solutions.copy(),
             "difficulty": pool.difficulty.copy()}
    resumed = PuzzlePool(lo=17, seed=1)
    resumed.restore(**saved)
    assert (resumed.puzzles == puzzles).all() and (resumed.difficulty == saved["difficulty"]).all()
    older = PuzzlePool(lo=17, seed=1)                           # a checkpoint without them
    older.restore(puzzles, solutions)
    assert (older.difficulty == saved["difficulty"]).all()
    assert (older.take(10)[0][:8] == puzzles).all() and len(older.difficulty) == 10


def test_weights_rising_with_difficulty_draw_hard_puzzles_more_often():
    pool = PuzzlePool(lo=17, seed=1)
    puzzles, solutions = pool.take(2)
    easy = np.where(np.arange(81) < 40, solutions[0], puzzles[0])
    boards = np.stack([easy, puzzles[1]]).astype(np.int8)     # told apart by their givens
    difficulty = np.array([0, 9])
    assert np.allclose(difficulty_weights(difficulty, 0.0), 0.5)

    def hard_share(weights):
        tokens, _, _ = make_batch(boards, solutions[:2], 400, 17, 17, np.random.default_rng(0),
                                  weights)
        return np.mean(count_givens(tokens) == count_givens(puzzles[1:2])[0])

    assert 0.4 < hard_share(None) < 0.6
    assert hard_share(difficulty_weights(difficulty, 2.0)) > 0.95    # 100 : 1


def test_a_training_checkpoint_keeps_the_pool_and_its_difficulties(tmp_path, monkeypatch):
    monkeypatch.setattr(pool_module, "INITIAL", 6)
    monkeypatch.setattr(pool_module, "LOOKAHEAD", 0)
    cfg = TrainConfig(d_model=16, n_heads=2, d_ff=32, n_blocks=1, batch_size=4, eval_size=4,
                      givens=(40, 60), out=str(tmp_path / "m.npz"))
    trainer = Trainer(cfg, quiet=True)
    trainer.train_set.available(0)                      # a checkpoint keeps what was made
    trainer.save_checkpoint()
    trainer.train_set.close()
    saved = load_checkpoint(checkpoint_path(cfg))[2]["pool/difficulty"]
    resumed = Trainer.resume(checkpoint_path(cfg), quiet=True).train_set
    n = len(resumed.puzzles)
    assert n >= 6 and (resumed.puzzles == trainer.train_set.puzzles[:n]).all()
    assert (resumed.difficulty == saved).all() and ((saved == 0) == singles_solve(resumed.puzzles)).all()


def test_a_stopped_wait_raises_and_the_pool_goes_on_with_the_same_puzzles(monkeypatch):
    monkeypatch.setattr(pool_module, "INITIAL", 4)
    monkeypatch.setattr(pool_module, "CHUNK", 2)
    monkeypatch.setattr(pool_module, "LOOKAHEAD", 2)
    stop = [True]
    pool = PuzzlePool(lo=40, seed=3, stop=lambda: stop[0])
    try:
        with pytest.raises(Stopped):
            pool.available(0)
        stop[0] = False
        puzzles, _ = pool.available(0)            # the jobs queued before the stop still count
    finally:
        pool.close()
    expected, _ = PuzzlePool(lo=40, seed=3).take(4)
    assert (puzzles == expected).all()
