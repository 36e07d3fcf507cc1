"""Training: a small model really learns, resume is exact, files are never half-written,
and bad options are refused with one line."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sudoku_tf.board import RELATION_NAMES
from sudoku_tf.cli import cli
from sudoku_tf.data import reveal, save_dataset
from sudoku_tf.evaluation import evaluate
from sudoku_tf.generator import PuzzleSpec, generate_puzzles
from sudoku_tf.nn import NetworkN, load, load_with_meta, save, warmup_cosine
from sudoku_tf.nn.io import CONFIG_KEY, read_header, write_npz_atomic
from sudoku_tf.pool import PuzzlePool
from sudoku_tf.solver import count_solutions
from sudoku_tf.train import (TrainConfig, Trainer, TrainingStopped, checkpoint_path,
                             curriculum_range)

TINY = dict(d_model=16, n_heads=2, d_ff=32, n_blocks=1, passes=2, batch_size=8,
            eval_size=8, warmup=2)


@pytest.fixture(scope="module")
def easy_file(tmp_path_factory):
    puzzles, solutions = generate_puzzles(120, PuzzleSpec((40, 50)), seed=3)
    path = tmp_path_factory.mktemp("data") / "easy.npz"
    save_dataset(path, puzzles, solutions)
    return str(path)


def _config(tmp_path, data, **kw):
    return TrainConfig(**{**TINY, "data": [data], "eval_data": data, "out": str(tmp_path / "m.npz"),
                          **kw})


@pytest.mark.slow
def test_small_model_learns_easy_boards_well_above_chance(tmp_path, easy_file):
    cfg = _config(tmp_path, easy_file, d_model=32, n_heads=4, d_ff=64, n_blocks=2, passes=1,
                  steps=300, batch_size=32, lr=3e-3, warmup=20, givens=(50, 70), eval_every=300)
    trainer = Trainer(cfg, quiet=True)
    first = trainer.model.loss(*trainer._batch()[:3])
    trainer.run()
    puzzles, solutions = generate_puzzles(64, PuzzleSpec((40, 50)), seed=99)
    held_out = reveal(puzzles, solutions, 55, 65, np.random.default_rng(1))
    metrics = evaluate(trainer.model, held_out, solutions)
    assert trainer.model.loss(*trainer._batch()[:3]) < first - 0.5
    assert metrics["cell_accuracy"] > 0.3        # chance is 1/9; measured 0.40


RECURRENT = dict(feedback=True, passes=3, grad_passes=1, free_passes=(0, 3), carry=3)
LATE_STATE = dict(feedback=True, passes=2, relations=True, late_share=0.5, late_passes=(3, 6))


@pytest.mark.parametrize("recurrence", [{}, RECURRENT, LATE_STATE],
                         ids=["plain", "recurrent", "late-state"])
def test_resume_after_ctrl_c_gives_the_same_parameters_as_an_uninterrupted_run(
        tmp_path, easy_file, monkeypatch, recurrence):
    """With carry 3 the Ctrl-C lands mid-batch: the carried batch and state resume too."""
    straight = Trainer(_config(tmp_path / "a", easy_file, steps=12, eval_every=5, **recurrence),
                       quiet=True)
    straight.run()
    path = _checkpoint_at_ctrl_c(_config(tmp_path / "b", easy_file, steps=12, eval_every=5,
                                         **recurrence), monkeypatch)
    _assert_resumes_to(straight, path)


def test_a_checkpoint_from_when_the_model_kept_its_optimizer_resumes_exactly(
        tmp_path, easy_file, monkeypatch):
    """Checkpoints written before the trainer owned its optimizer held `clip` and the
    optimizer's settings in the model's config; the state arrays were the same."""
    cfg = _config(tmp_path / "b", easy_file, steps=6, eval_every=5, **RECURRENT)
    straight = Trainer(_config(tmp_path / "a", easy_file, steps=6, eval_every=5, **RECURRENT),
                       quiet=True)
    straight.run()
    path = _checkpoint_at_ctrl_c(cfg, monkeypatch, during=5)           # mid-carry
    header, arrays = read_header(path)
    assert set(header["args"]).isdisjoint({"clip", "lr", "warmup"}) and header["args"]["optimizer"] is None
    schedule = {"warmup": cfg.warmup, "total": cfg.steps, "min_ratio": 0.1}
    header["args"].update(clip=cfg.clip, optimizer={    # what the earlier trainer's model wrote
        "kind": "adamw", "lr": cfg.lr, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
        "weight_decay": cfg.weight_decay, "schedule": schedule})
    arrays[CONFIG_KEY] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    write_npz_atomic(path, arrays)
    _assert_resumes_to(straight, path)


def _checkpoint_at_ctrl_c(cfg, monkeypatch, during: int = 7) -> Path:
    """Runs cfg until a Ctrl-C arrives during its step number `during`; returns the
    checkpoint it leaves."""
    first = Trainer(cfg, quiet=True)
    real_step = first._step

    def step_then_ctrl_c():
        loss = real_step()
        if first.state.step == during - 1:
            os.kill(os.getpid(), signal.SIGINT)
        return loss

    monkeypatch.setattr(first, "_step", step_then_ctrl_c)
    first.run()
    assert first.state.step == during
    return checkpoint_path(cfg)


def _assert_resumes_to(straight: Trainer, path) -> None:
    """Resuming the checkpoint at path ends with straight's weights, bit for bit."""
    resumed = Trainer.resume(path, quiet=True)
    resumed.run()
    assert resumed.state.step == straight.state.step
    for a, b in zip(straight.model.params(), resumed.model.params()):
        np.testing.assert_array_equal(a.value, b.value, err_msg=a.name)


def test_the_best_model_is_kept_and_loads_alone(tmp_path, easy_file):
    trainer = Trainer(_config(tmp_path, easy_file, steps=6, eval_every=3), quiet=True)
    trainer.run()
    model, meta = load_with_meta(trainer.cfg.out)
    assert meta["train"]["config"]["d_model"] == 16
    log = [json.loads(line) for line in (tmp_path / "m.log.jsonl").read_text().splitlines()]
    assert log[0]["config"]["steps"] == 6
    assert [r["step"] for r in log[1:]] == [3, 6]
    assert model.predict(np.zeros(81, int)).shape == (81, 9)


def test_an_interrupted_checkpoint_write_leaves_the_old_file_whole(tmp_path, easy_file, monkeypatch):
    trainer = Trainer(_config(tmp_path, easy_file, steps=2, eval_every=2), quiet=True)
    trainer.run()
    path = checkpoint_path(trainer.cfg)
    before = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(KeyboardInterrupt):
        trainer.save_checkpoint()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.ckpt.npz", "m.log.jsonl", "m.npz"]


def test_a_diverging_loss_rolls_back_once_then_stops(tmp_path, easy_file, monkeypatch):
    trainer = Trainer(_config(tmp_path, easy_file, steps=20, eval_every=100), quiet=True)
    good = [p.value.copy() for p in trainer.model.params()]
    real_loss_and_grad = trainer.model.loss_and_grad

    def poisoned(*args):
        real_loss_and_grad(*args)
        for p in trainer.model.params():
            p.value[...] = np.nan
        return float("nan")

    monkeypatch.setattr(trainer.model, "loss_and_grad", poisoned)
    assert np.isnan(trainer._step())
    assert trainer.state.lr_scale == 0.5
    for p, v in zip(trainer.model.params(), good):
        np.testing.assert_array_equal(p.value, v)
    with pytest.raises(TrainingStopped, match="smaller --lr"):
        trainer._step()


def test_pool_puzzles_are_unique_and_depend_only_on_the_step():
    pool = PuzzlePool(lo=45, seed=5)
    puzzles, solutions = pool.take(6)
    again, _ = PuzzlePool(lo=45, seed=5).take(6)
    np.testing.assert_array_equal(puzzles, again)
    assert all(count_solutions(p) == 1 for p in puzzles)
    assert ((puzzles == 0) | (puzzles == solutions)).all()


def test_recurrent_steps_draw_their_passes_and_carry_batches_with_their_state(tmp_path, easy_file):
    trainer = Trainer(_config(tmp_path, easy_file, steps=6, **RECURRENT), quiet=True)
    seen = []
    real_loss_and_grad = trainer.model.loss_and_grad

    def recording(tokens, targets, mask, passes, grad_passes, state):
        seen.append((tokens, passes, grad_passes, state))
        return real_loss_and_grad(tokens, targets, mask, passes, grad_passes, state)

    trainer.model.loss_and_grad = recording
    for _ in range(6):
        trainer._step()
        trainer.state.step += 1
    assert all(g == 1 and 1 <= p <= 4 for _, p, g, _ in seen)
    assert len({p for _, p, _, _ in seen}) > 1                      # the count is drawn per step
    assert [s is None for _, _, _, s in seen] == [True, False, False] * 2
    assert seen[1][0] is seen[0][0] and seen[3][0] is not seen[0][0]


def test_late_state_steps_draw_their_free_passes_from_the_late_range(tmp_path, easy_file):
    """A share of 1/2: about half the steps run 20-30 gradient-free passes first, the rest
    the usual 0-1; the graded window stays 2 passes."""
    trainer = Trainer(_config(tmp_path, easy_file, passes=2, free_passes=(0, 1),
                              late_share=0.5, late_passes=(20, 30)), quiet=True)
    drawn = [trainer._passes() for _ in range(200)]
    assert {g for _, g in drawn} == {2}
    free = np.array([p - g for p, g in drawn])
    late = free >= 20
    assert set(free[~late]) == {0, 1} and free[late].min() >= 20 and free[late].max() <= 30
    assert 70 < late.sum() < 130


def test_relations_give_every_block_a_zero_bias_so_an_init_from_starts_as_its_source(
        tmp_path, easy_file):
    first = Trainer(_config(tmp_path / "a", easy_file, steps=2, eval_every=2), quiet=True)
    first.run()
    second = Trainer(_config(tmp_path / "b", easy_file, relations=True,
                             init_from=first.cfg.out), quiet=True)
    for block in second.model.blocks:
        assert block.attn.relation_bias.value.shape == (TINY["n_heads"], len(RELATION_NAMES))
        assert not block.attn.relation_bias.value.any()
    boards = np.zeros((2, 81), np.int8)
    np.testing.assert_allclose(second.model.predict(boards), load(first.cfg.out).predict(boards),
                               rtol=1e-6)


def test_curriculum_lowers_the_fewest_givens_or_hard_first_raises_the_most():
    cfg = TrainConfig(givens=(20, 60), curriculum=100)
    assert [curriculum_range(cfg, s)[0] for s in (0, 50, 100, 500)] == [60, 40, 20, 20]
    assert curriculum_range(TrainConfig(givens=(20, 60)), 0) == (20, 60)
    hard = TrainConfig(givens=(20, 60), curriculum=100, hard_first=True)
    assert [curriculum_range(hard, s) for s in (0, 50, 100)] == [(20, 20), (20, 40), (20, 60)]


def test_hard_first_boards_keep_their_puzzles_givens_at_the_start(tmp_path, easy_file):
    trainer = Trainer(_config(tmp_path, easy_file, curriculum=1000, hard_first=True,
                              givens=(17, 81)), quiet=True)
    tokens, _, _, _ = trainer._batch()
    puzzles = trainer.train_set[0]
    assert (tokens != 0).sum(1).max() <= (puzzles != 0).sum(1).max()   # nothing revealed


def test_difficulty_power_draws_hard_puzzles_more_often(tmp_path, easy_file):
    shares = {}
    for power in (0.0, 2.0):
        trainer = Trainer(_config(tmp_path / str(power), easy_file, difficulty_power=power,
                                  batch_size=500, givens=(17, 17)), quiet=True)  # nothing revealed
        puzzles, solutions, _ = trainer.train_set
        counts = (puzzles != 0).sum(1)
        marked = np.flatnonzero(counts == counts.max())              # the fullest puzzles
        difficulty = np.zeros(len(puzzles), np.int32)
        difficulty[marked] = 99                                      # ... called hard
        trainer.train_set = (puzzles, solutions, difficulty)
        shares[power] = ((trainer._batch()[0] != 0).sum(1) == counts.max()).mean()
    assert shares[0.0] < 0.2 and shares[2.0] > 0.9


def test_init_from_copies_matching_weights_and_zeroes_the_new_ones(tmp_path, easy_file):
    first = Trainer(_config(tmp_path / "a", easy_file, steps=2, eval_every=2), quiet=True)
    first.run()
    second = Trainer(_config(tmp_path / "b", easy_file, feedback=True,
                             init_from=first.cfg.out), quiet=True)
    source = dict(load(first.cfg.out).named_params())
    for name, p in second.model.named_params():
        expected = source[name].value if name in source else 0
        np.testing.assert_array_equal(p.value, expected)
    assert "feedback.W" not in source
    boards = np.zeros((2, 81), np.int8)
    np.testing.assert_allclose(second.model.predict(boards), load(first.cfg.out).predict(boards),
                               rtol=1e-6)


def test_init_from_a_model_of_another_shape_is_refused_with_one_line(tmp_path, easy_file):
    first = Trainer(_config(tmp_path / "a", easy_file, steps=2, eval_every=2), quiet=True)
    first.run()
    out = tmp_path / "b" / "m.npz"
    result = CliRunner().invoke(cli, ["train", "--init-from", first.cfg.out, "--d-model", "32",
                                      "--heads", "2", "--data", easy_file, "--steps", "2",
                                      "--eval-size", "8", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"Error: --init-from {first.cfg.out}: another model shape "
                             f"(token.E has shape (10, 16) there, (10, 32) here; d_model 16 "
                             f"there, 32 here, d_ff 32 there, 256 here, n_blocks 1 there, 4 "
                             f"here); give this run that model's shape\n")
    assert not out.parent.exists()


def test_init_from_a_model_with_no_parameter_in_common_is_refused(tmp_path, easy_file):
    other = tmp_path / "mlp.npz"
    save(NetworkN([81, 9]), other)
    with pytest.raises(ValueError, match="another model shape \\(no parameter in common"):
        Trainer(_config(tmp_path, easy_file, init_from=str(other)), quiet=True)


def test_config_round_trips_through_json_and_validates():
    cfg = TrainConfig(d_model=48, n_heads=6, givens=(20, 50))
    assert TrainConfig.from_json(json.loads(json.dumps(cfg.to_json()))) == cfg
    with pytest.raises(ValueError, match="divisible"):
        TrainConfig(d_model=30, n_heads=4)
    with pytest.raises(ValueError, match="unknown config keys: colour"):
        TrainConfig.from_json({"colour": 1})


@pytest.mark.parametrize("args, message", [
    (["--heads", "0"], "must be positive"),
    (["--d-model", "30", "--heads", "4"], "divisible by heads"),
    (["--data", "missing.npz"], "missing.npz: no such file"),
    (["--givens", "60-20"], "givens must be a range"),
    (["--givens", "lots"], "--givens wants a number or a range"),
])
def test_bad_train_options_exit_2_with_one_line(tmp_path, args, message):
    result = CliRunner().invoke(cli, ["train", "--out", str(tmp_path / "m.npz"), *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert isinstance(result.exception, SystemExit)         # an uncaught error would be here


@pytest.mark.parametrize("settings, line", [
    ({"d_model": "big"}, "d_model must be an integer, got 'big'"),
    ({"lr": "fast"}, "lr must be a finite number, got 'fast'"),
    ({"lr": float("nan")}, "lr must be a finite number, got nan"),
    ({"givens": [20]}, "givens must be a list of 2 integers, got [20]"),
    ({"walk": "20-24"}, "walk must be a list of 2 integers or null, got '20-24'"),
    ({"feedback": "yes"}, "feedback must be true or false, got 'yes'"),
    ({"data": "a.csv"}, "data must be a list of strings, got 'a.csv'"),
    ({"seed": -1}, "seed must be non-negative, got -1"),
])
def test_a_config_value_of_the_wrong_kind_is_one_line_naming_the_key(tmp_path, settings, line):
    config = tmp_path / "run.json"
    config.write_text(json.dumps(settings))
    result = CliRunner().invoke(cli, ["train", "--config", str(config), "--steps", "1",
                                      "--eval-size", "1", "--out", str(tmp_path / "m.npz")])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"Error: {line}\n"


def test_train_command_flags_override_the_config_file(tmp_path, easy_file):
    config = tmp_path / "run.json"
    config.write_text(json.dumps({**TINY, "steps": 50, "eval_every": 2, "data": [easy_file],
                                  "eval_data": easy_file}))
    out = tmp_path / "m.npz"
    result = CliRunner().invoke(cli, ["train", "--config", str(config), "--steps", "2", "-q",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    _, meta = load_with_meta(out)
    assert meta["train"]["config"]["steps"] == 2 and meta["train"]["config"]["d_model"] == 16
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = CliRunner().invoke(cli, ["train", "--resume", str(tmp_path / "m.ckpt.npz"),
                                      "--d-model", "32"])
    assert result.exit_code == 2 and "cannot change the model shape" in result.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before   # nothing touched


def test_resuming_into_a_new_output_writes_its_own_best_model(tmp_path, easy_file):
    first = Trainer(_config(tmp_path / "a", easy_file, steps=4, eval_every=2), quiet=True)
    first.run()
    moved = Trainer.resume(checkpoint_path(first.cfg), {"out": str(tmp_path / "b" / "m.npz"),
                                                        "steps": 6}, quiet=True)
    moved.run()
    assert (tmp_path / "b" / "m.npz").is_file() and (tmp_path / "b" / "m.ckpt.npz").is_file()
    log = [json.loads(line) for line in (tmp_path / "b" / "m.log.jsonl").read_text().splitlines()]
    assert log[0]["config"]["out"] == str(tmp_path / "b" / "m.npz")
    assert [r["step"] for r in log[1:]] == [6]


def test_resuming_from_a_model_file_says_which_checkpoint_to_pass(tmp_path, easy_file):
    Trainer(_config(tmp_path, easy_file, steps=2, eval_every=2), quiet=True).run()
    result = CliRunner().invoke(cli, ["train", "--resume", str(tmp_path / "m.npz")])
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"Error: {tmp_path / 'm.npz'} is a model file, not a training "
                             f"checkpoint; resume from the checkpoint written beside it, "
                             f"{tmp_path / 'm.ckpt.npz'}\n")


@pytest.mark.parametrize("existing", ["m.npz", "m.ckpt.npz", "m.log.jsonl"])
def test_train_refuses_to_replace_its_files_without_force(tmp_path, easy_file, existing):
    (tmp_path / existing).write_text("old")
    args = ["train", "--data", easy_file, "--eval-data", easy_file, "--out", str(tmp_path / "m.npz"),
            "--d-model", "16", "--heads", "2", "--d-ff", "32", "--blocks", "1", "--loops", "1",
            "--batch-size", "8", "--eval-size", "8", "--steps", "2", "--eval-every", "2", "-q"]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 2
    assert refused.stderr == f"Error: {tmp_path / existing} exists; pass --force to replace it\n"
    assert (tmp_path / existing).read_text() == "old"
    forced = CliRunner().invoke(cli, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    log = [json.loads(line) for line in (tmp_path / "m.log.jsonl").read_text().splitlines()]
    assert "config" in log[0] and [r["step"] for r in log[1:]] == [2]     # a fresh log
    assert load_with_meta(tmp_path / "m.npz")[1]["train"]["state"]["step"] == 2   # replaced
    resumed = CliRunner().invoke(cli, ["train", "--resume", str(tmp_path / "m.ckpt.npz"),
                                       "--steps", "4", "-q"])
    assert resumed.exit_code == 0, resumed.output                     # continues its own files
    assert load_with_meta(tmp_path / "m.ckpt.npz")[1]["train"]["state"]["step"] == 4
    log = (tmp_path / "m.log.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in log[1:]] == [2, 4]


def test_ties_in_solve_rate_go_to_the_better_cell_accuracy(tmp_path, easy_file, monkeypatch):
    scores = iter([0.2, 0.5, 0.4])

    def unsolved(model, puzzles, solutions, **settings):
        return {"solve_rate": 0.0, "cell_accuracy": next(scores)}

    monkeypatch.setattr("sudoku_tf.train.evaluate", unsolved)
    trainer = Trainer(_config(tmp_path, easy_file, steps=6, eval_every=2), quiet=True)
    trainer.run()
    _, meta = load_with_meta(trainer.cfg.out)
    assert meta["train"]["state"]["step"] == 4
    assert trainer.state.best_accuracy == 0.5 and trainer.state.bad_evals == 1


def test_resume_to_a_larger_step_count_replans_the_cosine_from_there(tmp_path, easy_file,
                                                                     monkeypatch):
    first = Trainer(_config(tmp_path, easy_file, steps=4, eval_every=4, warmup=0), quiet=True)
    first.run()
    resumed = Trainer.resume(checkpoint_path(first.cfg), {"steps": 8}, quiet=True)
    rates = []
    real_step = resumed.optimizer.step

    def recording(lr):
        rates.append(resumed.optimizer.current_lr(lr))          # the rate the step will use
        return real_step(lr)

    monkeypatch.setattr(resumed.optimizer, "step", recording)
    resumed.run()
    planned = [warmup_cosine(step, 1e-3, 0, 8) for step in range(4, 8)]
    assert rates == planned            # the schedule of an 8-step run, from step 4 on
    straight = Trainer(_config(tmp_path / "b", easy_file, steps=8, eval_every=4, warmup=0),
                       quiet=True)
    straight.run()                     # whose first 4 steps took larger rates than the 4-step run's
    assert any((a.value != b.value).any()
               for a, b in zip(straight.model.params(), resumed.model.params()))


def test_checkpoints_follow_the_clock_and_the_time_budget_stops_the_run(tmp_path, easy_file):
    """A clock that moves 40 s per step: checkpoints every 2 steps (> 1 minute apart), and
    a 3-minute budget ends the run after step 5 (200 s)."""
    now = [0.0]
    trainer = Trainer(_config(tmp_path, easy_file, steps=100, eval_every=100,
                              checkpoint_minutes=1, max_minutes=3),
                      quiet=True, clock=lambda: now[0])
    messages, saved = [], []
    trainer.echo = messages.append
    real_step, real_save = trainer._step, trainer.save_checkpoint

    def step():
        now[0] += 40
        return real_step()

    def save():
        saved.append(trainer.state.step)
        real_save()

    trainer._step, trainer.save_checkpoint = step, save
    trainer.run()
    assert saved == [2, 4, 5]                        # the last one as the run ends
    assert messages == ["time budget of 3 minutes reached at step 5"]


def test_ctrl_c_before_the_first_step_exits_130_without_a_traceback(tmp_path, easy_file,
                                                                   monkeypatch):
    from sudoku_tf import train

    def interrupted(*args, **kw):
        raise KeyboardInterrupt                        # e.g. while the puzzle pool starts

    monkeypatch.setattr(train.Trainer, "__init__", interrupted)
    result = CliRunner().invoke(cli, ["train", "--data", easy_file, "--out", str(tmp_path / "m.npz")])
    assert result.exit_code == 130
    assert result.stderr == "interrupted before the first step; nothing to save\n"


def test_resuming_a_copied_checkpoint_into_its_own_out_needs_no_force(tmp_path, easy_file):
    first = Trainer(_config(tmp_path / "a", easy_file, steps=2, eval_every=2), quiet=True)
    first.run()
    copy = tmp_path / "b" / "m.ckpt.npz"                    # the model card's recipe
    copy.parent.mkdir()
    copy.write_bytes(checkpoint_path(first.cfg).read_bytes())
    result = CliRunner().invoke(cli, ["train", "--resume", str(copy), "--out",
                                      str(tmp_path / "b" / "m.npz"), "--steps", "4", "-q"])
    assert result.exit_code == 0, result.output
    assert load_with_meta(copy)[1]["train"]["state"]["step"] == 4


def test_train_command_takes_the_recurrence_options(tmp_path, easy_file):
    out = tmp_path / "r.npz"
    result = CliRunner().invoke(cli, [
        "train", "--data", easy_file, "--eval-data", easy_file, "--out", str(out), "-q",
        "--steps", "3", "--eval-every", "3", "--d-model", "16", "--heads", "2", "--d-ff", "32",
        "--blocks", "1", "--batch-size", "8", "--eval-size", "4", "--loops", "3", "--feedback",
        "--state-norm", "--grad-passes", "1", "--free-passes", "0-2", "--carry", "2", "--eval-passes", "4",
        "--eval-threshold", "0.5", "--max-cpu-minutes", "5", "--hard-first", "--curriculum", "9",
        "--difficulty-power", "1.5", "--path-share", "0.25", "--late-share", "0.2",
        "--late-passes", "4-9", "--relations"])
    assert result.exit_code == 0, result.output
    model, meta = load_with_meta(out)
    cfg = meta["train"]["config"]
    assert model.config()["feedback"] and model.config()["n_loops"] == 3
    assert model.config()["state_norm"] and model.state_norm is not None
    assert (cfg["grad_passes"], cfg["free_passes"], cfg["carry"]) == (1, [0, 2], 2)
    assert (cfg["eval_passes"], cfg["eval_threshold"], cfg["max_cpu_minutes"]) == (4, 0.5, 5)
    assert (cfg["hard_first"], cfg["curriculum"], cfg["difficulty_power"]) == (True, 9, 1.5)
    assert cfg["path_share"] == 0.25
    assert (cfg["late_share"], cfg["late_passes"], cfg["relations"]) == (0.2, [4, 9], True)
    assert model.blocks[0].attn.relation_bias.value.shape == (2, len(RELATION_NAMES))


def test_passes_is_the_name_and_the_old_n_loops_still_reads():
    assert TrainConfig(n_loops=3).passes == 3 and "n_loops" not in TrainConfig().to_json()
    assert TrainConfig.from_json({"n_loops": 3}).passes == 3
    assert TrainConfig.from_json({"n_loops": 3, "passes": 4}).passes == 4     # the new name wins
    shipped = Path(__file__).resolve().parent.parent / "models" / "default.npz"
    model, meta = load_with_meta(shipped)                 # saved when the name was n_loops
    assert "n_loops" in meta["train"]["config"]
    assert TrainConfig.from_json(meta["train"]["config"]).passes == model.config()["n_loops"]


def test_train_passes_is_a_shape_flag_and_loops_its_hidden_old_name(tmp_path):
    help_text = CliRunner().invoke(cli, ["train", "--help"]).stdout
    assert "--passes" in help_text and "--loops" not in help_text
    for flag in ("--passes", "--loops"):
        result = CliRunner().invoke(cli, ["train", "--resume", str(tmp_path / "m.ckpt.npz"),
                                          flag, "3"])
        assert result.exit_code == 2
        assert "cannot change the model shape (passes) when resuming" in result.stderr
        assert ("--loops is now --passes" in result.stderr) == (flag == "--loops")
