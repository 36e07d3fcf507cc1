"""Worker processes that leave Ctrl-C to the parent: the one place the application
starts a process pool.

A Ctrl-C in a terminal reaches every process of the foreground group. A worker that took
it would die mid-job with a traceback, and a parent waiting on that job's result would
wait forever. So workers ignore SIGINT, and it stays blocked while they start (before
they can set that), so not even an early Ctrl-C reaches one. The parent alone decides
what an interrupt means, and ends the pool with `terminate`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal


def process_pool(workers: int):
    """A pool of `workers` spawned processes that ignore SIGINT."""
    with _sigint_blocked():
        # the pool's own threads, started here, inherit the blocked mask and pass it on
        # to every worker they start later, so replacements are covered too
        return multiprocessing.get_context("spawn").Pool(workers, initializer=_ignore_sigint)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def _sigint_blocked():
    """SIGINT held back from this thread (and the threads and processes it starts) for
    the block; one that arrives meanwhile is delivered when the block ends."""
    if not hasattr(signal, "pthread_sigmask"):                  # Windows: no signal masks
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
