"""`sudoku-tf train`: every option of `TrainConfig` as a flag, a --config file beneath
them, and resuming from a checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..nn.transformer import NORMS
from ..train import POSITIONS, TrainConfig
from .common import FiniteRange, InputError, parse_range

_SHAPE_FLAGS = ("d_model", "n_heads", "d_ff", "n_blocks", "norm", "positions", "passes",
                "feedback", "state_norm", "relations")
_TRAIN_DEFAULTS = TrainConfig()


def _config_default(key: str) -> dict:
    """click settings that show `TrainConfig`'s default for `key` in --help. Only values
    given on the command line reach the config, so a --config file still applies."""
    value = getattr(_TRAIN_DEFAULTS, key)
    if isinstance(value, tuple):
        value = "-".join(map(str, value))
    return {"default": value, "show_default": True}


@click.command()
@click.option("--data", "data", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Dataset file(s) with solutions (.csv/.npz); repeatable. Default: a generated pool.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A run.json of settings; flags given here override it.")
@click.option("--steps", type=click.IntRange(min=1), **_config_default("steps"),
              help="Optimizer steps.")
@click.option("--batch-size", type=click.IntRange(min=1), **_config_default("batch_size"),
              help="Boards per step.")
@click.option("--d-model", type=int, **_config_default("d_model"), help="Model width.")
@click.option("--heads", "n_heads", type=int, **_config_default("n_heads"),
              help="Attention heads.")
@click.option("--d-ff", type=int, **_config_default("d_ff"), help="Feed-forward width.")
@click.option("--blocks", "n_blocks", type=int, **_config_default("n_blocks"),
              help="Transformer blocks.")
@click.option("--passes", type=int, **_config_default("passes"),
              help="Passes over the blocks with shared weights: the model's default per call.")
@click.option("--loops", type=int, hidden=True, help="The old name of --passes.")
@click.option("--feedback/--no-feedback", **_config_default("feedback"),
              help="Feed each pass a learned projection of the previous pass's probabilities.")
@click.option("--state-norm/--no-state-norm", **_config_default("state_norm"),
              help="Normalise the carried state (a LayerNorm) before each pass reads it.")
@click.option("--grad-passes", type=click.IntRange(min=1),
              help="Passes per step with a loss and gradients  [default: --passes]")
@click.option("--free-passes", **_config_default("free_passes"),
              help="LO-HI: a random number of gradient-free passes before them, per step.")
@click.option("--late-share", type=FiniteRange(0, 1), **_config_default("late_share"),
              help="Share of steps whose gradient-free passes come from --late-passes.")
@click.option("--late-passes", **_config_default("late_passes"),
              help="LO-HI: gradient-free passes on a late-state step (states reached only "
                   "after long thinking).")
@click.option("--relations/--no-relations", **_config_default("relations"),
              help="Each attention head learns a bias per cell relation (same row, column, box...).")
@click.option("--carry", type=click.IntRange(min=1), **_config_default("carry"),
              help="Optimizer steps per batch, each going on from the state the last reached.")
@click.option("--norm", type=click.Choice(NORMS), **_config_default("norm"),
              help="LayerNorm placement.")
@click.option("--positions", type=click.Choice(POSITIONS), **_config_default("positions"),
              help="Position embeddings: per cell, row+column+box, or both.")
@click.option("--lr", type=FiniteRange(), **_config_default("lr"), help="Peak learning rate.")
@click.option("--warmup", type=int, **_config_default("warmup"), help="Linear warmup steps.")
@click.option("--weight-decay", type=FiniteRange(), **_config_default("weight_decay"),
              help="AdamW weight decay.")
@click.option("--clip", type=FiniteRange(), **_config_default("clip"),
              help="Global gradient-norm clip (0: off).")
@click.option("--givens", **_config_default("givens"),
              help="LO-HI: pool puzzles are cut toward LO; boards are revealed up to HI.")
@click.option("--curriculum", type=click.IntRange(min=0), **_config_default("curriculum"),
              help="Steps over which the fewest givens falls from HI to LO.")
@click.option("--hard-first/--easy-first", **_config_default("hard_first"),
              help="Reverse curriculum: the most givens rises from LO to HI instead.")
@click.option("--difficulty-power", type=FiniteRange(min=0),
              **_config_default("difficulty_power"),
              help="Draw puzzles with probability ~ (1 + solver guesses) ** P (0: uniform).")
@click.option("--path-share", type=FiniteRange(0, 1), **_config_default("path_share"),
              help="Share of boards taken on their puzzle's path of naked and hidden singles "
                   "(easy cells filled first, as decoding meets them) instead of random "
                   "reveals.")
@click.option("--walk",
              help="LO-HI: walk each pool puzzle down to a number of givens in this range "
                   "(slower to make; see --pool-per-step).")
@click.option("--pool-per-step", type=FiniteRange(min=0, min_open=True),
              **_config_default("pool_per_step"), help="Pool puzzles added per step.")
@click.option("--init-from", type=click.Path(dir_okay=False, path_type=Path),
              help="Start from this model file's weights (matching names and shapes; the "
                   "rest at zero).")
@click.option("--eval-every", type=click.IntRange(min=1), **_config_default("eval_every"),
              help="Steps between evaluations.")
@click.option("--eval-data", type=click.Path(dir_okay=False, path_type=Path),
              help="Held-out puzzles; default: a generated set from another seed.")
@click.option("--eval-size", type=click.IntRange(min=1), **_config_default("eval_size"),
              help="Evaluation puzzles.")
@click.option("--eval-passes", type=click.IntRange(min=1),
              help="Passes per network call in evaluation  [default: --passes]")
@click.option("--eval-threshold", type=FiniteRange(0, 1, min_open=True),
              help="Evaluation's iterative decoding also fills every legal cell this sure.")
@click.option("--patience", type=click.IntRange(min=1),
              help="Stop after this many evaluations without a better model.")
@click.option("--max-minutes", type=FiniteRange(min=0, min_open=True),
              help="Wall-clock budget.")
@click.option("--max-cpu-minutes", type=FiniteRange(min=0, min_open=True),
              help="Budget of this process's CPU time (all threads).")
@click.option("--checkpoint-minutes", type=FiniteRange(min=0, min_open=True),
              **_config_default("checkpoint_minutes"), help="Minutes between checkpoints.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), **_config_default("out"),
              help="Best model file; NAME.ckpt.npz and NAME.log.jsonl go beside it.")
@click.option("--resume", type=click.Path(dir_okay=False, path_type=Path),
              help="Continue from this checkpoint (flags may extend --steps or --max-minutes).")
@click.option("--seed", type=click.IntRange(min=0), **_config_default("seed"),
              help="Random seed.")
@click.option("--force", is_flag=True,
              help="Replace existing --out, checkpoint and log files (a resume into the "
                   "same --out continues them without it).")
@click.option("-q", "--quiet", is_flag=True, help="No summary, bar or evaluation lines.")
@click.pass_context
def train(ctx, config_file, resume, force, quiet, **options) -> None:
    """Train a Sudoku Transformer and save the best model.

    Boards are masked puzzles (0 = empty); the loss is cross-entropy on empty cells.
    Every --eval-every steps the model is scored on a held-out set (cell accuracy and
    full solves under iterative decoding) and the best so far (by solve rate, then cell
    accuracy) is written to --out. Checkpoints go beside it every few minutes and on
    Ctrl-C, which then exits with status 130.

    \b
    Examples:
      sudoku-tf train --steps 2000 --d-model 64 --heads 4 --out models/small.npz
      sudoku-tf train --data train.npz --eval-data data/eval1000.csv --max-minutes 60
      sudoku-tf train --resume models/small.ckpt.npz --steps 4000
    """
    from ..train import Trainer, TrainingStopped

    given = {k: v for k, v in options.items()
             if ctx.get_parameter_source(k) == click.core.ParameterSource.COMMANDLINE}
    if "loops" in given:
        given.setdefault("passes", given.pop("loops"))
        if not quiet:
            click.echo("--loops is now --passes; the old name still works", err=True)
    for key in ("givens", "free_passes", "late_passes", "walk"):
        if key in given:
            given[key] = parse_range(given[key], "--" + key.replace("_", "-"))
    for key in ("data", "eval_data", "out", "init_from"):
        if key in given:
            given[key] = [str(p) for p in given[key]] if key == "data" else str(given[key])
    missing = [p for p in [*given.get("data", []), given.get("eval_data"), given.get("init_from")]
               if p and not Path(p).is_file()]
    if missing:
        raise InputError(f"{missing[0]}: no such file")
    try:
        if resume:
            changed = sorted(set(given) & set(_SHAPE_FLAGS))
            if changed:
                raise InputError(f"cannot change the model shape ({', '.join(changed)}) when resuming")
            if not resume.is_file():
                raise InputError(f"{resume}: no such checkpoint (a run writes NAME.ckpt.npz "
                                 f"beside its --out NAME.npz)")
            trainer = Trainer.resume(resume, given, quiet=quiet, force=force)
        else:
            settings = _read_config(config_file) if config_file else {}
            trainer = Trainer(TrainConfig.from_json({**settings, **given}), quiet=quiet,
                              force=force)
    except ValueError as err:                  # an OSError names its file: the group says it
        raise InputError(str(err)) from None
    except KeyboardInterrupt:
        click.echo("interrupted before the first step; nothing to save", err=True)
        ctx.exit(130)
    try:
        trainer.run()
    except TrainingStopped as err:
        raise click.ClickException(str(err)) from None
    if trainer.interrupted:
        ctx.exit(130)                                   # as an interrupted program does
    click.echo(f"best model: {trainer.cfg.out}", err=True)


def _read_config(path: Path) -> dict:
    try:
        settings = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"{path}: not a readable JSON config ({err})") from None
    if not isinstance(settings, dict):
        raise InputError(f"{path}: a config is a JSON object of settings")
    return settings
