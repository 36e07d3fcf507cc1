"""Training a NetworkTransformer on Sudoku: the run's config and the loop, with
evaluation, checkpoints, resume and the guards a long run needs.

Nothing here parses command-line options; `cli.train` fills a `TrainConfig`.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import time
import types
import typing
from dataclasses import InitVar, asdict, dataclass, field, fields
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .board import BOX, COL, RELATIONS, ROW
from .data import difficulty_weights, load_dataset, make_batch, reveal
from .decode import Refining
from .evaluation import evaluate, reference_solutions
from .nn import AdamW, NetworkTransformer, RecurrentState, WarmupCosine, load, load_checkpoint, save
from .generator import guesses
from .outputs import check_free, check_writable
from .pool import PuzzlePool, Stopped

POSITIONS = ("learned", "rcb", "learned+rcb")
ACCURACY_EVERY = 25            # steps between the progress bar's batch-accuracy readings


@dataclass
class TrainConfig:
    """Every setting of a training run; defaults are the shipped model's recipe."""

    # model
    d_model: int = 128
    n_heads: int = 8
    d_ff: int = 256
    n_blocks: int = 4
    norm: str = "pre"
    positions: str = "rcb"         # learned per cell, row+column+box tables, or both
    passes: int = 2                # weight-tied passes over the blocks: the model's default per call
    feedback: bool = False         # each pass also sees the previous pass's probabilities
    state_norm: bool = False       # a LayerNorm on the carried state before each pass reads it
    relations: bool = False        # each head learns a bias per cell relation (row, column, box...)
    # recurrence in training: per step, a random number of gradient-free passes in
    # free_passes (inclusive), then grad_passes passes with a loss after each
    grad_passes: int | None = None     # None: passes
    free_passes: tuple[int, int] = (0, 0)
    # late-state training: on this share of steps the gradient-free passes are instead
    # a random number in late_passes, so the graded passes learn from states reached
    # only after long thinking
    late_share: float = 0.0
    late_passes: tuple[int, int] = (16, 128)
    carry: int = 1                 # optimizer steps per batch, each going on from the last's state
    # optimisation
    steps: int = 18000
    batch_size: int = 64
    lr: float = 1e-3
    warmup: int = 500
    weight_decay: float = 0.01
    clip: float = 1.0
    # data: files, or a generated pool of unique puzzles when none are given
    data: list[str] = field(default_factory=list)
    givens: tuple[int, int] = (17, 60)   # pool puzzles are cut toward lo; boards revealed up to hi
    curriculum: int = 0            # steps over which the fewest givens falls from hi to lo
    hard_first: bool = False       # reverse curriculum: the most givens rises from lo to hi
    difficulty_power: float = 0.0  # draw puzzles with probability ~ (1 + solver guesses) ** power
    path_share: float = 0.0        # share of boards taken on their puzzle's path of singles
    walk: tuple[int, int] | None = None   # pool puzzles walked down to givens in this range
    pool_per_step: float = 1.0     # pool puzzles added per step (lower when walking)
    init_from: str | None = None   # a model file whose weights start a fresh run
    # evaluation and bookkeeping
    eval_data: str | None = None
    eval_size: int = 256
    eval_every: int = 1000
    eval_passes: int | None = None     # passes per network call in evaluation (None: passes)
    eval_threshold: float | None = None   # iterative fills every legal cell this sure per call
    patience: int | None = None    # evals without a better model before stopping
    max_minutes: float | None = None
    max_cpu_minutes: float | None = None   # a budget of this process's CPU time, all threads
    checkpoint_minutes: float = 5.0
    out: str = "models/model.npz"
    seed: int = 0
    n_loops: InitVar[int | None] = None   # the old name of `passes`, still read

    def __post_init__(self, n_loops: int | None = None):
        if n_loops is not None:
            self.passes = n_loops
        for f in fields(self):
            value = getattr(self, f.name)
            if not _fits(value, _FIELD_TYPES[f.name]):
                raise ValueError(f"{f.name} must be {_describe(_FIELD_TYPES[f.name])}, "
                                 f"got {value!r}")
        self.givens = tuple(int(g) for g in self.givens)
        self.free_passes = tuple(int(p) for p in self.free_passes)
        self.late_passes = tuple(int(p) for p in self.late_passes)
        self.walk = None if self.walk is None else tuple(int(g) for g in self.walk)
        self.data = [str(p) for p in self.data]
        checks = [
            (self.d_model > 0 and self.n_heads > 0, "d_model and heads must be positive"),
            (self.n_heads > 0 and self.d_model % self.n_heads == 0,
             f"d_model ({self.d_model}) must be divisible by heads ({self.n_heads})"),
            (self.d_ff > 0 and self.n_blocks > 0 and self.passes > 0,
             "d_ff, blocks and passes must be positive"),
            ((self.grad_passes is None or self.grad_passes > 0) and self.carry > 0
             and (self.eval_passes is None or self.eval_passes > 0),
             "grad passes, carry and eval passes must be positive"),
            (len(self.free_passes) == 2 and 0 <= self.free_passes[0] <= self.free_passes[1],
             f"free passes must be a range of non-negative counts, got {self.free_passes}"),
            (len(self.late_passes) == 2 and 0 <= self.late_passes[0] <= self.late_passes[1],
             f"late passes must be a range of non-negative counts, got {self.late_passes}"),
            (0 <= self.late_share <= 1, f"late share must lie in [0, 1], got {self.late_share}"),
            (self.eval_threshold is None or 0 < self.eval_threshold <= 1,
             "eval threshold must lie in (0, 1]"),
            (self.walk is None or (len(self.walk) == 2 and 17 <= self.walk[0] <= self.walk[1]),
             f"walk must be a range of givens from 17, got {self.walk}"),
            (self.pool_per_step > 0 and self.difficulty_power >= 0,
             "pool per step must be positive and difficulty power non-negative"),
            (0 <= self.path_share <= 1, f"path share must lie in [0, 1], got {self.path_share}"),
            (self.norm in ("pre", "post"), f"norm must be pre or post, not {self.norm!r}"),
            (self.positions in POSITIONS, f"positions must be one of {', '.join(POSITIONS)}"),
            (self.steps > 0 and self.batch_size > 0, "steps and batch size must be positive"),
            (self.lr > 0 and self.warmup >= 0 and self.clip >= 0 and self.weight_decay >= 0,
             "lr must be positive; warmup, clip and weight decay non-negative"),
            (len(self.givens) == 2 and 17 <= self.givens[0] <= self.givens[1] <= 81,
             f"givens must be a range within 17-81, got {self.givens}"),
            (self.eval_every > 0 and self.eval_size > 0, "eval every/size must be positive"),
            (self.patience is None or self.patience > 0, "patience must be positive"),
            (self.curriculum >= 0, f"curriculum must be non-negative, got {self.curriculum}"),
            (self.seed >= 0, f"seed must be non-negative, got {self.seed}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    def to_json(self) -> dict:
        out = asdict(self)
        out["givens"] = list(self.givens)
        out["free_passes"] = list(self.free_passes)
        out["late_passes"] = list(self.late_passes)
        out["walk"] = None if self.walk is None else list(self.walk)
        return out

    @classmethod
    def from_json(cls, data: dict) -> "TrainConfig":
        data = dict(data)
        if "n_loops" in data:          # a config written before `passes`; `passes` wins
            data.setdefault("passes", data.pop("n_loops"))
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(sorted(unknown))}")
        return cls(**data)


_FIELD_TYPES = typing.get_type_hints(TrainConfig)


def _fits(value, kind) -> bool:
    """Whether a setting has its field's type, as Python or JSON spells it: any integer
    for an int, any finite number for a float, a list for a tuple, a path for a str."""
    args = typing.get_args(kind)
    if isinstance(kind, types.UnionType):
        return any(_fits(value, k) for k in args)
    if kind is type(None) or kind is bool:
        return value is None if kind is type(None) else isinstance(value, bool)
    if kind is int or kind is float:
        number = isinstance(value, Integral if kind is int else Real) and not isinstance(value, bool)
        return number and math.isfinite(value)
    if kind is str:
        return isinstance(value, (str, os.PathLike))
    sequence = isinstance(value, (list, tuple))
    if typing.get_origin(kind) is tuple:
        return sequence and len(value) == len(args) and all(map(_fits, value, args))
    return sequence and all(_fits(v, args[0]) for v in value)          # list[...]


def _describe(kind) -> str:
    """A field's type in words, for error messages."""
    if isinstance(kind, types.UnionType):
        return " or ".join(_describe(k) for k in typing.get_args(kind))
    names = {type(None): "null", bool: "true or false", int: "an integer",
             float: "a finite number", str: "a string"}
    if kind in names:
        return names[kind]
    args = typing.get_args(kind)
    count = f"{len(args)} " if typing.get_origin(kind) is tuple else ""
    return f"a list of {count}{_describe(args[0]).split(' ', 1)[1]}s"      # "an integer" -> integers


def build_model(cfg: TrainConfig) -> NetworkTransformer:
    """The Sudoku NetworkTransformer described by cfg: 81 tokens, digits 0-9 in, 9 classes out."""
    groups = {"learned": None, "rcb": [ROW, COL, BOX],
              "learned+rcb": [np.arange(81), ROW, COL, BOX]}[cfg.positions]
    return NetworkTransformer(
        seq_len=81, vocab_size=10, d_model=cfg.d_model, n_heads=cfg.n_heads, d_ff=cfg.d_ff,
        n_blocks=cfg.n_blocks, n_classes=9, norm=cfg.norm, n_loops=cfg.passes,
        feedback=cfg.feedback, state_norm=cfg.state_norm,
        positions=None if groups is None else [g.tolist() for g in groups],
        relations=RELATIONS.tolist() if cfg.relations else None, seed=cfg.seed)


def build_optimizer(cfg: TrainConfig, model: NetworkTransformer) -> AdamW:
    """The run's AdamW over model's parameters, with its warmup + cosine schedule; its
    step count drives the schedule."""
    return AdamW(lr=cfg.lr, weight_decay=cfg.weight_decay,
                 schedule=WarmupCosine(cfg.warmup, cfg.steps)).bind(model.params())


def curriculum_range(cfg: TrainConfig, step: int) -> tuple[int, int]:
    """The fewest and most givens a training board may have at this step: over the
    curriculum's steps the fewest falls from hi to lo (easy boards first) or, with
    `hard_first`, the most rises from lo to hi (boards as hard as their puzzles first)."""
    lo, hi = cfg.givens
    if cfg.curriculum <= 0 or step >= cfg.curriculum:
        return lo, hi
    moved = round((hi - lo) * step / cfg.curriculum)
    return (lo, lo + moved) if cfg.hard_first else (hi - moved, hi)


def init_weights(model: NetworkTransformer, path) -> list[str]:
    """Copies every parameter of the model file at path into model, by name. Those the file
    lacks start at zero, so the model starts by computing what that one did when they are
    additions such as prediction feedback or a relation bias; returns their names.

    ValueError, naming the first, when a parameter has another shape in the file, or when
    the two share no parameter: training would start from a broken model.
    """
    source_model = load(path)
    source = dict(source_model.named_params())
    params = list(model.named_params())
    clash = [(name, source[name].value.shape, p.value.shape) for name, p in params
             if name in source and source[name].value.shape != p.value.shape]
    if clash or not any(name in source for name, _ in params):
        name, theirs, ours = clash[0] if clash else (None, None, None)
        differ = ", ".join(f"{key} {value} there, {model.config().get(key)} here"
                           for key, value in source_model.config().items()
                           if isinstance(value, (int, str)) and model.config().get(key) != value)
        what = f"{name} has shape {theirs} there, {ours} here" if clash else "no parameter in common"
        raise ValueError(f"--init-from {path}: another model shape ({what}"
                         f"{'; ' + differ if differ else ''}); give this run that model's shape")
    for name, p in params:
        p.value[...] = source[name].value if name in source else 0
    return [name for name, _ in params if name not in source]


# ------------------------------------------------------------------ the loop


class TrainingStopped(RuntimeError):
    """Training cannot go on (e.g. the loss diverged twice); the message says why."""


@dataclass
class TrainState:
    """What a checkpoint must hold beside the model to resume bit for bit."""

    step: int = 0
    best: float = -1.0             # best eval solve rate so far
    best_accuracy: float = -1.0    # its cell accuracy, which breaks ties
    bad_evals: int = 0             # evals since the best
    lr_scale: float = 1.0          # halved once by the divergence guard
    diverged: int = 0
    elapsed: float = 0.0           # seconds of training before this process
    cpu_seconds: float = 0.0       # CPU seconds (all threads) of training so far


def checkpoint_path(cfg: TrainConfig) -> Path:
    return _beside(cfg.out, ".ckpt.npz")


def log_path(cfg: TrainConfig) -> Path:
    return _beside(cfg.out, ".log.jsonl")


def output_files(cfg: TrainConfig) -> list[Path]:
    """Every file a run writes: the best model, its checkpoint and its log."""
    return [Path(cfg.out), checkpoint_path(cfg), log_path(cfg)]


def _beside(model_path, suffix: str) -> Path:
    out = Path(model_path)
    return out.with_name(out.stem + suffix)


class Trainer:
    """Runs one training: `Trainer(cfg).run()`, or `Trainer.resume(path).run()`.

    The trainer owns the training policy: its optimizer (`build_optimizer`), the gradient
    clipping and the learning-rate guard; the model only computes loss and gradients.

    A run starts its files (`output_files`) and refuses to replace existing ones unless
    `force`, except `own_files`: those it continues (a resume, from its checkpoint).
    `clock` (seconds, monotonic) times the budgets and checkpoints; tests pass their own.
    """

    def __init__(self, cfg: TrainConfig, echo=None, quiet: bool = False,
                 model: NetworkTransformer | None = None, force: bool = False,
                 own_files=(), clock=time.monotonic):
        own = {Path(p).resolve() for p in own_files}
        check_free([p for p in output_files(cfg) if p.resolve() not in own], force)
        check_writable(output_files(cfg), make_folders=True)     # `run` makes --out's folder
        self.cfg = cfg
        self.new_log = log_path(cfg).resolve() not in own
        self.interrupted = False
        self.clock = clock
        self.echo = echo or (lambda msg: print(msg, file=sys.stderr))
        self.quiet = quiet
        self.model = model or build_model(cfg)
        self.optimizer = build_optimizer(cfg, self.model)
        if model is None and cfg.init_from:
            zeroed = init_weights(self.model, cfg.init_from)
            if zeroed and not quiet:
                self.echo(f"weights from {cfg.init_from}; starting at zero: {', '.join(zeroed)}")
        self.state = TrainState()
        self.rng = np.random.default_rng([cfg.seed, 1])
        self.train_set = self._training_data()
        self.eval_set = self._eval_data()
        self.batch_accuracy = 0.0                                    # on empty cells, for the bar
        self.carried = None                                          # (tokens, targets, mask, state)
        self._remember_good()                                        # last good weights, in memory

    @classmethod
    def resume(cls, path, overrides: dict | None = None, **kw) -> "Trainer":
        """A trainer continuing the checkpoint at path (overrides e.g. steps, max_minutes)."""
        model, meta, extras = load_checkpoint(path)
        if "train" not in meta or not any(k.startswith("opt/") for k in extras):
            raise ValueError(f"{path} is a model file, not a training checkpoint; resume from "
                             f"the checkpoint written beside it, {_beside(path, '.ckpt.npz')}")
        cfg = TrainConfig.from_json({**meta["train"]["config"], **(overrides or {})})
        same_out = cfg.out == meta["train"]["config"]["out"]
        trainer = cls(cfg, model=model, own_files=output_files(cfg) if same_out else [path], **kw)
        trainer.optimizer.load_state_arrays({k[4:]: v for k, v in extras.items() if k.startswith("opt/")})
        trainer.state = TrainState(**meta["train"]["state"])
        if not same_out:                                    # a new output keeps its own best
            trainer.state.best, trainer.state.best_accuracy, trainer.state.bad_evals = -1.0, -1.0, 0
        trainer.rng.bit_generator.state = meta["train"]["rng"]
        if isinstance(trainer.train_set, PuzzlePool):
            trainer.train_set.restore(extras["pool/puzzles"], extras["pool/solutions"],
                                      extras.get("pool/difficulty"))
        if "carry/x" in extras:
            trainer.carried = (extras["carry/tokens"], extras["carry/targets"], extras["carry/mask"],
                               RecurrentState(extras["carry/x"], extras["carry/probs"]))
        trainer._remember_good()                            # the weights and state resumed from
        return trainer

    # ---- data

    def _training_data(self):
        cfg = self.cfg
        if not cfg.data:
            return PuzzlePool(lo=cfg.givens[0], seed=cfg.seed, walk=cfg.walk,
                              per_step=cfg.pool_per_step, stop=lambda: self.interrupted)
        loaded = [load_dataset(p) for p in cfg.data]
        missing = [p for p, (_, s) in zip(cfg.data, loaded) if s is None]
        if missing:
            raise ValueError(f"{missing[0]}: training data needs solutions (CSV or .npz)")
        puzzles = np.concatenate([p for p, _ in loaded])
        difficulty = guesses(puzzles) if cfg.difficulty_power else np.zeros(len(puzzles), np.int32)
        return puzzles, np.concatenate([s for _, s in loaded]), difficulty

    def _eval_data(self):
        """A fixed held-out set: the eval file, or pool-style puzzles from another seed."""
        cfg = self.cfg
        if cfg.eval_data:
            puzzles, solutions = load_dataset(cfg.eval_data)
            puzzles = puzzles[:cfg.eval_size]
            if solutions is None:
                return puzzles, reference_solutions(puzzles)
            return puzzles, solutions[:cfg.eval_size]
        rng = np.random.default_rng([cfg.seed, 2])
        pool = PuzzlePool(lo=cfg.givens[0], seed=cfg.seed + 10_000)
        puzzles, solutions = pool.take(cfg.eval_size)
        return reveal(puzzles, solutions, cfg.givens[0], min(cfg.givens[1], 45), rng), solutions

    def _batch(self):
        """(tokens, targets, mask, state): a fresh batch, or with `carry` the batch the
        last step trained on and the state it reached."""
        cfg = self.cfg
        if self.carried is not None and self.state.step % cfg.carry:
            return self.carried
        lo, hi = curriculum_range(cfg, self.state.step)
        if isinstance(self.train_set, PuzzlePool):
            puzzles, solutions = self.train_set.available(self.state.step)
            difficulty = self.train_set.difficulty[:len(puzzles)]
        else:
            puzzles, solutions, difficulty = self.train_set
        weights = difficulty_weights(difficulty, cfg.difficulty_power) if cfg.difficulty_power else None
        return (*make_batch(puzzles, solutions, cfg.batch_size, lo, hi, self.rng, weights,
                            cfg.path_share), None)

    def _passes(self) -> tuple[int, int]:
        """(passes, grad_passes) of this step: a random number of gradient-free passes
        (from late_passes on a late-state step), then the differentiated ones."""
        cfg = self.cfg
        grad = cfg.grad_passes or cfg.passes
        lo, hi = cfg.free_passes
        if cfg.late_share and self.rng.random() < cfg.late_share:
            lo, hi = cfg.late_passes
        free = int(self.rng.integers(lo, hi + 1)) if hi > lo else lo
        return grad + free, grad

    # ---- the loop

    def run(self) -> dict:
        """Trains until steps, the time budget, early stopping or Ctrl-C; returns the last eval.

        Ctrl-C ends the run after the current step (or at once while it waits for pool
        puzzles), with a checkpoint.
        """
        cfg = self.cfg
        self.interrupted = False
        previous = signal.signal(signal.SIGINT, self._on_sigint)
        bar = tqdm(total=cfg.steps, initial=self.state.step, unit="step", desc="train",
                   disable=True if self.quiet else None, dynamic_ncols=True)
        last = {}
        try:
            Path(cfg.out).parent.mkdir(parents=True, exist_ok=True)
            if self.new_log:
                self._log({"config": cfg.to_json(), "params": self.model.n_params()}, mode="w")
                self.new_log = False
            if self.state.step == 0 and not self.quiet:
                self.echo(self.model.summary())
            started = self.clock() - self.state.elapsed
            cpu_started = time.process_time() - self.state.cpu_seconds
            last_ckpt = self.clock()
            while self.state.step < cfg.steps and not self.interrupted:
                t0 = self.clock()
                try:
                    loss = self._step()
                except Stopped:                                      # Ctrl-C while waiting
                    break
                self.state.step += 1
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.3f}", acc=f"{self.batch_accuracy:.3f}",
                                puz_s=f"{cfg.batch_size / max(self.clock() - t0, 1e-9):.0f}",
                                refresh=False)
                self.state.elapsed = self.clock() - started
                self.state.cpu_seconds = time.process_time() - cpu_started
                if self.state.step % cfg.eval_every == 0 or self.state.step == cfg.steps:
                    last = self._evaluate(loss)
                    if cfg.patience and self.state.bad_evals >= cfg.patience:
                        self.echo(f"early stop: no better model in {cfg.patience} evaluations")
                        break
                if self.clock() - last_ckpt > cfg.checkpoint_minutes * 60:
                    self.save_checkpoint()
                    last_ckpt = self.clock()
                if cfg.max_minutes and self.state.elapsed > cfg.max_minutes * 60:
                    self.echo(f"time budget of {cfg.max_minutes} minutes reached at step {self.state.step}")
                    break
                if cfg.max_cpu_minutes and self.state.cpu_seconds > cfg.max_cpu_minutes * 60:
                    self.echo(f"CPU budget of {cfg.max_cpu_minutes} minutes reached at step {self.state.step}")
                    break
        finally:
            try:
                self.save_checkpoint()
            finally:
                bar.close()
                signal.signal(signal.SIGINT, previous)
                if isinstance(self.train_set, PuzzlePool):
                    self.train_set.close()
        if self.interrupted:
            self.echo(f"interrupted at step {self.state.step}; checkpoint saved, continue with: "
                      f"sudoku-tf train --resume {checkpoint_path(cfg)}")
        if self.state.best < 0:                                      # never evaluated: keep the last
            self._save_model()
        return last

    def _on_sigint(self, *_) -> None:
        """Ctrl-C asks the loop to stop after its step (`timeout -s INT` sends it twice)."""
        self.interrupted = True

    def _step(self) -> float:
        """One step of the trainer's optimizer, the gradients clipped to `clip`; on a
        non-finite loss, rolls back and halves the LR once.

        The rollback restores the weights and optimizer state of the last checkpoint
        (the optimizer's step count, which drives the LR schedule, included); the
        trainer's step count and the batch stream go on, so the batches that led to
        the blow-up are not replayed.
        """
        cfg = self.cfg
        tokens, targets, mask, state = self._batch()
        passes, grad_passes = self._passes()
        loss = self.optimizer.train_step(
            lambda: self.model.loss_and_grad(tokens, targets, mask, passes, grad_passes, state),
            cfg.lr * self.state.lr_scale, cfg.clip)
        if math.isfinite(loss):
            reached = self.model.last_state
            if cfg.carry > 1:
                self.carried = (tokens, targets, mask, reached)
            if self.state.step % ACCURACY_EVERY == 0:
                right = reached.probs.argmax(-1) == targets
                self.batch_accuracy = float(right[mask].mean())
            return loss
        self.state.diverged += 1
        if self.state.diverged > 1:
            raise TrainingStopped(
                f"loss became {loss} at step {self.state.step} again after lowering the learning "
                f"rate; try a smaller --lr, more --warmup or a tighter --clip")
        self.echo(f"loss became {loss} at step {self.state.step}: rolled back to the last "
                  f"checkpoint and halved the learning rate")
        self._restore_good()
        self.carried = None
        self.state.lr_scale *= 0.5
        return float("nan")

    def _evaluate(self, loss: float) -> dict:
        puzzles, solutions = self.eval_set
        network = Refining(self.model, self.cfg.eval_passes)
        metrics = evaluate(network, puzzles, solutions, threshold=self.cfg.eval_threshold)
        record = {"step": self.state.step, "loss": loss, **metrics,
                  "minutes": round(self.state.elapsed / 60, 2), "lr_scale": self.state.lr_scale}
        self._log(record)
        score = (metrics["solve_rate"], metrics["cell_accuracy"])   # accuracy breaks ties
        better = score > (self.state.best, self.state.best_accuracy)
        if better:
            (self.state.best, self.state.best_accuracy), self.state.bad_evals = score, 0
            self._save_model()
        else:
            self.state.bad_evals += 1
        if not self.quiet:
            tqdm.write(f"step {self.state.step}: loss {loss:.4f}  cell accuracy "
                       f"{metrics['cell_accuracy']:.4f}  solved {metrics['solve_rate']:.3f}"
                       + ("  (best, saved)" if better else ""), file=sys.stderr)
        return record

    # ---- files

    def _meta(self) -> dict:
        return {"train": {"config": self.cfg.to_json(), "state": asdict(self.state),
                          "rng": self.rng.bit_generator.state}}

    def _save_model(self) -> None:
        save(self.model, self.cfg.out, meta=self._meta())

    def save_checkpoint(self) -> None:
        """Model, optimizer state, step, RNG and config in one file, written atomically."""
        extras = {f"opt/{k}": v for k, v in self.optimizer.state_arrays().items()}
        if isinstance(self.train_set, PuzzlePool):                 # what it has made: no wait
            pool = self.train_set
            extras.update({"pool/puzzles": pool.puzzles, "pool/solutions": pool.solutions,
                           "pool/difficulty": pool.difficulty})
        if self.carried is not None:
            tokens, targets, mask, reached = self.carried
            extras.update({"carry/tokens": tokens, "carry/targets": targets, "carry/mask": mask,
                           "carry/x": reached.x, "carry/probs": reached.probs})
        save(self.model, checkpoint_path(self.cfg), meta=self._meta(), extra_arrays=extras)
        self._remember_good()

    def _remember_good(self) -> None:
        self._good = ([p.value.copy() for p in self.model.params()],
                      {k: v.copy() for k, v in self.optimizer.state_arrays().items()})

    def _restore_good(self) -> None:
        values, opt_state = self._good
        for p, v in zip(self.model.params(), values):
            p.value[...] = v
        self.optimizer.load_state_arrays(opt_state)

    def _log(self, record: dict, mode: str = "a") -> None:
        with open(log_path(self.cfg), mode) as f:
            f.write(json.dumps(record) + "\n")
