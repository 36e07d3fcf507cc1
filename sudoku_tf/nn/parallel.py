"""Data parallelism on threads: one batch split over the cores of one process.

numpy releases the GIL inside its kernels, so threads that each run forward and backward
on a shard of the batch keep every core busy, element-wise passes included (a single
thread leaves those on one core while BLAS threads only the matrix products). Each
thread drives a *replica*: a copy of the model with its own caches and gradient arrays
that reads the very same weight arrays. While the shards run, BLAS is held to one
thread, so its own workers do not compete with the shards for the cores.

A batch too small to split runs whole on the calling thread, and BLAS is held to one
thread there too: its matrices are too small to gain much from BLAS threads on an idle
machine (2-24 % at batches of 1-4), and on a busy one BLAS threads that spin while
waiting for a core made a one-puzzle solve 58 times slower (26 s instead of 0.45 s).
"""

from __future__ import annotations

import copy
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence

import numpy as np
from threadpoolctl import ThreadpoolController

from .optim import Optimizer
from .params import Module, Param

MIN_SHARD = 2          # rows per shard below which the thread hand-off costs more than it saves
                       # (scripts/bench_shards.py: 4-12 rows run 1.3-1.7x faster in two shards)

_threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
_pool: ThreadPoolExecutor | None = None
_blas: ThreadpoolController | None = None


def set_threads(n: int) -> None:
    """Uses up to n threads per batch from now on (1: everything on the calling thread)."""
    global _threads, _pool
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"threads must be a positive integer, got {n!r}")
    if _pool is not None and n != _threads:
        _pool.shutdown()
        _pool = None
    _threads = n


def get_threads() -> int:
    """Threads a batch may be split over (the cores this process may use, by default)."""
    return _threads


def shards(n_rows: int) -> list[slice]:
    """Near-equal slices of a batch of n_rows, one per thread, each >= MIN_SHARD rows."""
    n = max(1, min(_threads, n_rows // MIN_SHARD))
    bounds = np.linspace(0, n_rows, n + 1).round().astype(int)
    return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def run(fn: Callable, *per_shard: Sequence) -> list:
    """[fn(*args) for args in zip(*per_shard)], one call per thread, BLAS on one thread."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=_threads, thread_name_prefix="shard")
    with one_blas_thread():
        return list(_pool.map(fn, *per_shard))      # list(): waits, and re-raises any error


def one_blas_thread():
    """A context in which BLAS runs on one thread (the caller's)."""
    global _blas
    if _blas is None:
        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")


class Replicas:
    """Copies of a module for the shards: own caches and gradients, shared weights.

    `get(n)` returns n replicas, rebuilt when a weight array of the module was replaced
    (e.g. by `astype`), so they never read stale weights. `add_grads` folds their
    gradients, weighted, into the module's own.
    """

    def __init__(self, module: Module):
        self.module = module
        self.copies: list[Module] = []

    def get(self, n: int) -> list[Module]:
        params = self.module.params()
        fresh = len(self.copies) == n and all(
            r.value is p.value for rep in self.copies for r, p in zip(rep.params(), params))
        if not fresh:
            self.copies = [self._copy() for _ in range(n)]
        for rep in self.copies:
            rep.zero_grad()
        return self.copies

    def add_grads(self, weights: Sequence[float]) -> None:
        """module.grad += sum_i weights[i] * replica_i.grad, parameter by parameter."""
        for rep, w in zip(self.copies, weights):
            for p, r in zip(self.module.params(), rep.params()):
                p.grad += p.grad.dtype.type(w) * r.grad

    def _copy(self) -> Module:
        # the copies never step: they keep the module's optimizer (and this object)
        shared = [self, *(v for v in vars(self.module).values() if isinstance(v, Optimizer))]
        memo = {id(obj): obj for obj in shared}
        memo.update({id(p): Param(p.name, p.value) for p in self.module.params()})
        return copy.deepcopy(self.module, memo)
