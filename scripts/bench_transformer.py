"""Times NetworkTransformer on Sudoku-shaped data, beside the same network in PyTorch.

Three measurements per configuration and batch size, on the same batch:
- a training step, what `NetworkTransformer.train` does with one pass: forward, masked
  cross-entropy, backward, global-norm clipping and an Adam update;
- inference: `predict` (one pass, no gradients) against the torch network's forward under
  `torch.inference_mode()`, softmax included in both;
- one gradient-free pass of the shared blocks: `predict` runs 1 and 1 + FREE_PASSES passes
  (every pass but the last gradient-free), and the difference in time over FREE_PASSES is
  one pass without the embedding and final readout both runs share. It is printed as a
  share of a one-pass training step (the target: at most 40 %), torch's share beside it.
The torch network (CPU, same threads, `pip install torch==2.13.0`; never a project
dependency) runs in the same process when installed, its timed rounds interleaved with
ours so both see the same load. `--feedback` adds prediction feedback to both networks.
Ours splits each batch over `--threads` shard threads (sudoku_tf.nn.parallel) with BLAS
held to one thread inside them; batches under 16 boards run whole, BLAS on one thread.
The BLAS library numpy uses and the OPENBLAS_* variables that steer it are printed too.

Usage:
    python scripts/bench_transformer.py
    python scripts/bench_transformer.py --configs seed --batches 64 256 --repeats 7
    python scripts/bench_transformer.py --feedback --configs seed
    python scripts/bench_transformer.py --threads 1 --clock cpu     # steadier on a busy machine
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python scripts/bench_transformer.py --json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from sudoku_tf.nn import Adam, NetworkTransformer, parallel

T, V, C = 81, 10, 9          # a board: 81 cells, tokens 0..9 (0 = empty), digits 1..9
N_EMPTY = 45                 # masked cells per board: the loss counts only these
CLIP, LR = 1.0, 1e-3
CONFIGS = {
    "seed": dict(d_model=64, n_heads=4, d_ff=128, n_blocks=4),
    "base": dict(d_model=128, n_heads=8, d_ff=512, n_blocks=8),
}
ENV_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
MIN_ROUND_SECONDS = 0.25     # small batches run several steps per timed round
FREE_PASSES = 4              # predict runs 1 and 1 + FREE_PASSES passes; the slope is one pass


def make_batch(batch: int, rng: np.random.Generator):
    """Random boards shaped like puzzles: tokens (B, 81) int64, targets (B, 81), mask (B, 81)."""
    solution = rng.integers(1, 10, (batch, T))
    empty = np.argsort(rng.random((batch, T)), axis=1)[:, :N_EMPTY]
    mask = np.zeros((batch, T), bool)
    np.put_along_axis(mask, empty, True, axis=1)
    tokens = np.where(mask, 0, solution)
    return tokens, solution - 1, mask


def blas_info() -> list[dict]:
    """numpy's BLAS as threadpoolctl sees it: library, kernel, threads."""
    keys = ("internal_api", "architecture", "version", "num_threads", "filepath")
    return [{k: info.get(k) for k in keys} for info in threadpool_info()
            if info.get("user_api") == "blas" and "numpy" in info.get("filepath", "")]


def time_steps(steps: dict, repeats: int, clock=time.perf_counter) -> dict:
    """Median seconds per call of each step, by name, over `repeats` timed rounds.

    Each step is warmed up twice; the rounds of all steps are interleaved, so a change
    in the machine's load falls on every step alike and their ratios stay fair.
    """
    calls = {}
    for name, step in steps.items():
        step()
        start = clock()
        step()
        calls[name] = max(1, math.ceil(MIN_ROUND_SECONDS / max(clock() - start, 1e-6)))
    rounds = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = clock()
            for _ in range(calls[name]):
                step()
            rounds[name].append((clock() - start) / calls[name])
    return {name: statistics.median(r) for name, r in rounds.items()}


def ours_model(cfg: dict, feedback: bool, seed: int = 0) -> NetworkTransformer:
    model = NetworkTransformer(seq_len=T, vocab_size=V, n_classes=C, optimizer=lambda: Adam(lr=LR),
                               feedback=feedback, seed=seed, **cfg)
    model.train_clip = CLIP
    return model


def ours_steps(cfg: dict, feedback: bool, batch: int, seed: int = 0) -> dict:
    """Our training step and predict with 1 and 1 + FREE_PASSES passes, on one batch."""
    model = ours_model(cfg, feedback, seed)
    tokens, targets, mask = make_batch(batch, np.random.default_rng(seed))
    return {"train": lambda: model.train(tokens, targets, mask=mask, passes=1),
            "infer": lambda: model.predict(tokens, passes=1),
            "infer_more": lambda: model.predict(tokens, passes=1 + FREE_PASSES)}


def torch_model_class(torch):
    """The same network in torch.nn: token + position embeddings, pre-norm blocks with a
    ReLU feed-forward, final norm and head; the blocks run pass after pass with shared
    weights, each pass adding the embedding (and, with feedback, the projected previous
    probabilities) to the state the previous pass left, as `sudoku_tf.nn.recurrence`."""
    nn, F = torch.nn, torch.nn.functional

    class Block(nn.Module):
        def __init__(self, d, h, f):
            super().__init__()
            self.h = h
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.out = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.up, self.down = nn.Linear(d, f), nn.Linear(f, d)

        def forward(self, x):
            B, T_, D = x.shape
            qkv = self.qkv(self.ln1(x)).view(B, T_, 3, self.h, D // self.h)
            q, k, v = qkv.permute(2, 0, 3, 1, 4)                   # each (B, H, T, Dh)
            ctx = F.scaled_dot_product_attention(q, k, v)
            x = x + self.out(ctx.transpose(1, 2).reshape(B, T_, D))
            return x + self.down(F.relu(self.up(self.ln2(x))))

    class TorchTransformer(nn.Module):
        def __init__(self, d_model, n_heads, d_ff, n_blocks, feedback=False):
            super().__init__()
            self.token = nn.Embedding(V, d_model)
            self.pos = nn.Embedding(T, d_model)
            self.blocks = nn.ModuleList(Block(d_model, n_heads, d_ff) for _ in range(n_blocks))
            self.ln_f = nn.LayerNorm(d_model)
            self.head = nn.Linear(d_model, C)
            self.feedback = nn.Linear(C, d_model, bias=False) if feedback else None

        def forward(self, tokens, passes=1):
            """Logits after the last of `passes` passes."""
            e = self.token(tokens) + self.pos.weight
            x = probs = None
            for _ in range(passes):
                h = e if x is None else x + e
                if probs is not None:
                    h = h + self.feedback(probs)
                for block in self.blocks:
                    h = block(h)
                logits = self.head(self.ln_f(h))
                x = h
                probs = None if self.feedback is None else F.softmax(logits, -1)
            return logits

    return TorchTransformer


def torch_masked_loss(torch, logits, targets, mask):
    ce = torch.nn.functional.cross_entropy(logits.reshape(-1, C), targets.reshape(-1),
                                           reduction="none")
    return (ce * mask.reshape(-1)).sum() / mask.sum().clamp(min=1)


def torch_steps(torch, cfg: dict, feedback: bool, batch: int, seed: int = 0) -> dict:
    """The torch twin of `ours_steps`: one-pass training step (Adam), and the forward
    with 1 and 1 + FREE_PASSES passes plus softmax under inference mode."""
    torch.manual_seed(seed)
    model = torch_model_class(torch)(**cfg, feedback=feedback)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    tokens, targets, mask = (torch.from_numpy(a) for a in make_batch(batch, np.random.default_rng(seed)))
    mask = mask.float()

    def train():
        opt.zero_grad(set_to_none=True)
        loss = torch_masked_loss(torch, model(tokens), targets, mask)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        opt.step()
        return loss.item()

    def infer(passes):
        with torch.inference_mode():
            return torch.softmax(model(tokens, passes), -1)

    return {"train": train, "infer": lambda: infer(1),
            "infer_more": lambda: infer(1 + FREE_PASSES)}


def same_weights_check(torch, cfg: dict, feedback: bool, batch: int = 4) -> tuple[float, float]:
    """Copies our weights into the torch model; returns |loss_ours - loss_torch| after one
    pass and the largest difference of the probabilities after 1 + FREE_PASSES passes.

    Near-zero differences show that the two columns time the same architecture.
    """
    ours = ours_model(cfg, feedback, seed=1)
    theirs = torch_model_class(torch)(**cfg, feedback=feedback)
    ps = {name: p.value for name, p in ours.named_params()}
    to = lambda a: torch.from_numpy(np.ascontiguousarray(a))        # noqa: E731
    with torch.no_grad():
        theirs.token.weight.copy_(to(ps["token.E"]))
        theirs.pos.weight.copy_(to(ps["positions.0.E"]))
        for i, b in enumerate(theirs.blocks):
            for mod, name in [(b.qkv, "attn.qkv"), (b.out, "attn.out"),
                              (b.up, "ffn.up"), (b.down, "ffn.down")]:
                mod.weight.copy_(to(ps[f"blocks.{i}.{name}.W"].T))
                mod.bias.copy_(to(ps[f"blocks.{i}.{name}.b"]))
            for mod, name in [(b.ln1, "ln1"), (b.ln2, "ln2")]:
                mod.weight.copy_(to(ps[f"blocks.{i}.{name}.gamma"]))
                mod.bias.copy_(to(ps[f"blocks.{i}.{name}.beta"]))
        theirs.ln_f.weight.copy_(to(ps["ln_f.gamma"]))
        theirs.ln_f.bias.copy_(to(ps["ln_f.beta"]))
        theirs.head.weight.copy_(to(ps["head.W"].T))
        theirs.head.bias.copy_(to(ps["head.b"]))
        if feedback:
            theirs.feedback.weight.copy_(to(ps["feedback.W"].T))
        tokens, targets, mask = make_batch(batch, np.random.default_rng(2))
        loss_torch = torch_masked_loss(torch, theirs(torch.from_numpy(tokens)),
                                       torch.from_numpy(targets),
                                       torch.from_numpy(mask).float()).item()
        probs_torch = torch.softmax(theirs(torch.from_numpy(tokens), 1 + FREE_PASSES), -1).numpy()
    loss_diff = abs(ours.loss(tokens, targets, mask, passes=1) - loss_torch)
    probs_diff = np.abs(ours.predict(tokens, passes=1 + FREE_PASSES) - probs_torch).max()
    return loss_diff, float(probs_diff)


def import_torch(threads: int):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def limit_threads(threads: int) -> None:
    """Our shard threads and numpy's BLAS threads; one thread also pins the process to one CPU."""
    parallel.set_threads(threads)
    threadpool_limits(threads, user_api="blas")
    if threads == 1 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def measure(steps: dict, batch: int) -> dict:
    """Puzzles per second for training and inference, and one gradient-free pass: its
    seconds and its share of a training step."""
    free_pass = (steps["infer_more"] - steps["infer"]) / FREE_PASSES
    return dict(train=batch / steps["train"], infer=batch / steps["infer"],
                free_pass_ms=1e3 * free_pass, free_share=free_pass / steps["train"])


def run(configs, batches, repeats, threads: int = 2, clock: str = "wall",
        feedback: bool = False) -> dict:
    limit_threads(threads)
    torch = import_torch(threads)
    timer = time.perf_counter if clock == "wall" else time.process_time
    report = {
        "env": {name: os.environ.get(name) for name in ENV_VARS},
        "load_average": os.getloadavg()[0],     # other work on the 2 cores skews timings
        "threads": threads,
        "clock": clock,
        "feedback": feedback,
        "free_passes": FREE_PASSES,
        "numpy": np.__version__,
        "blas": blas_info(),
        "torch": None if torch is None else torch.__version__,
        "rows": [],
    }
    for name in configs:
        cfg = CONFIGS[name]
        check = None if torch is None else same_weights_check(torch, cfg, feedback)
        for batch in batches:
            print(f"timing {name} at batch {batch} ...", file=sys.stderr)
            steps = {("ours", k): f for k, f in ours_steps(cfg, feedback, batch).items()}
            if torch is not None:
                steps.update({("torch", k): f
                              for k, f in torch_steps(torch, cfg, feedback, batch).items()})
            seconds = time_steps(steps, repeats, timer)
            ours = measure({k: s for (who, k), s in seconds.items() if who == "ours"}, batch)
            theirs = None if torch is None else measure(
                {k: s for (who, k), s in seconds.items() if who == "torch"}, batch)
            report["rows"].append(dict(config=name, batch=batch, ours=ours, torch=theirs,
                                       loss_diff=None if check is None else check[0],
                                       probs_diff=None if check is None else check[1]))
    return report


def _cell(value, width: int, fmt: str) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}{fmt}}"


def format_report(report: dict) -> str:
    env = ", ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in report["env"].items())
    lines = [f"numpy {report['numpy']}; {env}; load average {report['load_average']:.2f}"]
    for b in report["blas"]:
        lines.append("BLAS: " + ", ".join(f"{k}={v}" for k, v in b.items() if k != "filepath"))
    if report["torch"] is None:
        lines.append("torch not installed: no torch columns "
                     "(pip install torch==2.13.0 for the CPU build)")
    else:
        lines.append(f"torch {report['torch']} on CPU, {report['threads']} threads")
    lines.append("with prediction feedback" if report["feedback"] else "without prediction feedback")
    lines.append("")
    lines.append(f"{'':14}{'training step, puzzles/s':^32}{'inference, puzzles/s':^32}"
                 f"{'gradient-free pass':^28}")
    lines.append(f"{'config':<8}{'batch':>6}" + f"{'ours':>10}{'torch':>10}{'ours/torch':>12}" * 2
                 + f"{'ours ms':>10}{'ours %':>9}{'torch %':>9}")
    for r in report["rows"]:
        ours, theirs = r["ours"], r["torch"] or {}
        line = f"{r['config']:<8}{r['batch']:>6}"
        for key in ("train", "infer"):
            ratio = ours[key] / theirs[key] if theirs else None
            line += f"{ours[key]:>10.1f}{_cell(theirs.get(key), 10, '.1f')}{_cell(ratio, 12, '.2f')}"
        share = theirs.get("free_share")
        line += (f"{ours['free_pass_ms']:>10.2f}{100 * ours['free_share']:>9.0f}"
                 f"{_cell(None if share is None else 100 * share, 9, '.0f')}")
        lines.append(line)
    checks = {r["config"]: (r["loss_diff"], r["probs_diff"]) for r in report["rows"]
              if r["loss_diff"] is not None}
    for name, (loss_diff, probs_diff) in checks.items():
        lines.append(f"{name}: same weights give the same loss in both (|diff| = {loss_diff:.1e}) "
                     f"and the same probabilities after {1 + report['free_passes']} passes "
                     f"(max |diff| = {probs_diff:.1e})")
    lines.append(f"(training step: forward, masked CE, backward, clip, Adam, one pass; inference: "
                 f"predict, one pass; gradient-free pass: (predict with {1 + report['free_passes']} "
                 f"passes - predict with 1) / {report['free_passes']}, in ms and as % of a training "
                 f"step; {report['threads']} threads, {report['clock']} clock)")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=["seed", "base"])
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 64, 256])
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds; the median counts")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads for numpy's BLAS and torch; 1 also pins to one CPU")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="cpu (process time) is steadier on a busy machine with --threads 1")
    parser.add_argument("--feedback", action="store_true",
                        help="both networks feed each pass the previous pass's probabilities")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.threads < 1 or any(b < 1 for b in args.batches):
        parser.error("--repeats, --threads and --batches must be positive")
    report = run(args.configs, args.batches, args.repeats, args.threads, args.clock, args.feedback)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
