"""Times one training step of NetworkTransformer on Sudoku-shaped data, beside PyTorch.

A step is what `NetworkTransformer.train` does: forward, masked cross-entropy, backward,
global-norm clipping and an Adam update. Each configuration runs at each batch size;
the same architecture built from `torch.nn` (CPU, 2 threads) runs in the same process
when torch is installed (`pip install torch==2.13.0`; never a project dependency).
Ours splits each batch over `--threads` shard threads (sudoku_tf.nn.parallel) with BLAS
held to one thread inside them; batches under 16 boards run whole, BLAS threaded.
The BLAS library numpy uses and the OPENBLAS_* variables that steer it are printed too.

Usage:
    python scripts/bench_transformer.py
    python scripts/bench_transformer.py --configs seed --batches 64 256 --repeats 7
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

from sudoku_tf.nn import NetworkTransformer, parallel

T, V, C = 81, 10, 9          # a board: 81 cells, tokens 0..9 (0 = empty), digits 1..9
N_EMPTY = 45                 # masked cells per board: the loss counts only these
CLIP, LR = 1.0, 1e-3
CONFIGS = {
    "seed": dict(d_model=64, n_heads=4, d_ff=128, n_blocks=4),
    "base": dict(d_model=128, n_heads=8, d_ff=512, n_blocks=8),
}
ENV_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
MIN_ROUND_SECONDS = 0.25     # small batches run several steps per timed round


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


def time_steps(step, repeats: int, clock=time.perf_counter) -> float:
    """Median seconds per step over `repeats` timed rounds, after two warm-up steps."""
    step()
    start = clock()
    step()
    per_step = clock() - start
    n = max(1, math.ceil(MIN_ROUND_SECONDS / max(per_step, 1e-6)))
    rounds = []
    for _ in range(repeats):
        start = clock()
        for _ in range(n):
            step()
        rounds.append((clock() - start) / n)
    return statistics.median(rounds)


def ours_step(cfg: dict, batch: int, seed: int = 0):
    model = NetworkTransformer(seq_len=T, vocab_size=V, n_classes=C, lr=LR, clip=CLIP,
                               seed=seed, **cfg)
    tokens, targets, mask = make_batch(batch, np.random.default_rng(seed))
    return lambda: model.train(tokens, targets, mask=mask)


def torch_model_class(torch):
    """The same network in torch.nn: token + position embeddings, pre-norm blocks, head."""
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
        def __init__(self, d_model, n_heads, d_ff, n_blocks):
            super().__init__()
            self.token = nn.Embedding(V, d_model)
            self.pos = nn.Embedding(T, d_model)
            self.blocks = nn.ModuleList(Block(d_model, n_heads, d_ff) for _ in range(n_blocks))
            self.ln_f = nn.LayerNorm(d_model)
            self.head = nn.Linear(d_model, C)

        def forward(self, tokens):
            x = self.token(tokens) + self.pos.weight
            for block in self.blocks:
                x = block(x)
            return self.head(self.ln_f(x))

    return TorchTransformer


def torch_masked_loss(torch, logits, targets, mask):
    ce = torch.nn.functional.cross_entropy(logits.reshape(-1, C), targets.reshape(-1),
                                           reduction="none")
    return (ce * mask.reshape(-1)).sum() / mask.sum().clamp(min=1)


def torch_step(torch, cfg: dict, batch: int, seed: int = 0):
    torch.manual_seed(seed)
    model = torch_model_class(torch)(**cfg)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    tokens, targets, mask = (torch.from_numpy(a) for a in make_batch(batch, np.random.default_rng(seed)))
    mask = mask.float()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch_masked_loss(torch, model(tokens), targets, mask)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        opt.step()
        return loss.item()

    return step


def same_loss_check(torch, cfg: dict, batch: int = 4) -> float:
    """Copies our weights into the torch model and returns |loss_ours - loss_torch|.

    A near-zero difference shows that the two columns time the same architecture.
    """
    ours = NetworkTransformer(seq_len=T, vocab_size=V, n_classes=C, seed=1, **cfg)
    theirs = torch_model_class(torch)(**cfg)
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
        tokens, targets, mask = make_batch(batch, np.random.default_rng(2))
        loss_torch = torch_masked_loss(torch, theirs(torch.from_numpy(tokens)),
                                       torch.from_numpy(targets),
                                       torch.from_numpy(mask).float()).item()
    return abs(ours.loss(tokens, targets, mask) - loss_torch)


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


def run(configs, batches, repeats, threads: int = 2, clock: str = "wall") -> dict:
    limit_threads(threads)
    torch = import_torch(threads)
    timer = time.perf_counter if clock == "wall" else time.process_time
    report = {
        "env": {name: os.environ.get(name) for name in ENV_VARS},
        "load_average": os.getloadavg()[0],     # other work on the 2 cores skews timings
        "threads": threads,
        "clock": clock,
        "numpy": np.__version__,
        "blas": blas_info(),
        "torch": None if torch is None else torch.__version__,
        "rows": [],
    }
    for name in configs:
        cfg = CONFIGS[name]
        check = None if torch is None else same_loss_check(torch, cfg)
        for batch in batches:
            print(f"timing {name} at batch {batch} ...", file=sys.stderr)
            ours = batch / time_steps(ours_step(cfg, batch), repeats, timer)
            theirs = None if torch is None else batch / time_steps(torch_step(torch, cfg, batch),
                                                                   repeats, timer)
            report["rows"].append(dict(config=name, batch=batch, ours=ours, torch=theirs,
                                       ratio=None if theirs is None else ours / theirs,
                                       loss_diff=check))
    return report


def format_report(report: dict) -> str:
    env = ", ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in report["env"].items())
    lines = [f"numpy {report['numpy']}; {env}; load average {report['load_average']:.2f}"]
    for b in report["blas"]:
        lines.append("BLAS: " + ", ".join(f"{k}={v}" for k, v in b.items() if k != "filepath"))
    if report["torch"] is None:
        lines.append("torch not installed: no torch column "
                     "(pip install torch==2.13.0 for the CPU build)")
    else:
        lines.append(f"torch {report['torch']} on CPU, {report['threads']} threads")
    lines.append("")
    lines.append(f"{'config':<8}{'batch':>6}{'ours/s':>10}{'torch/s':>10}{'ours/torch':>12}")
    for r in report["rows"]:
        theirs = f"{r['torch']:>10.1f}" if r["torch"] is not None else f"{'-':>10}"
        ratio = f"{r['ratio']:>12.2f}" if r["ratio"] is not None else f"{'-':>12}"
        lines.append(f"{r['config']:<8}{r['batch']:>6}{r['ours']:>10.1f}{theirs}{ratio}")
    checks = {r["config"]: r["loss_diff"] for r in report["rows"] if r["loss_diff"] is not None}
    for name, diff in checks.items():
        lines.append(f"{name}: same weights give the same loss in both (|diff| = {diff:.1e})")
    lines.append(f"(puzzles per second for one training step: forward, masked CE, backward, "
                 f"clip, Adam; {report['threads']} threads, {report['clock']} clock)")
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
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.threads < 1 or any(b < 1 for b in args.batches):
        parser.error("--repeats, --threads and --batches must be positive")
    report = run(args.configs, args.batches, args.repeats, args.threads, args.clock)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
