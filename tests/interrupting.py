"""Ctrl-C for real: runs `sudoku-tf` in a process group of its own and sends SIGINT to
the whole group, as a terminal does, once the command is past its imports and a
readiness check holds."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# "ready" once the package is imported and the group runs its command: from there on
# Ctrl-C is the command's to handle
STARTER = ("import sys, click; from sudoku_tf.cli import cli; real = click.Group.invoke; "
           "click.Group.invoke = lambda group, ctx: "
           "(print('ready', file=sys.stderr, flush=True), real(group, ctx))[1]; "
           "cli(prog_name='sudoku-tf')")
PATIENCE = 120         # seconds: only a hang takes this long


def interrupt(args, ready=lambda pid: True, cwd=None):
    """Runs `sudoku-tf args`, waits for "ready" and `ready(pid)`, sends SIGINT twice to
    the group (as `timeout -s INT` does); returns (exit code, stdout, stderr without the
    "ready" line). A command still running after PATIENCE seconds fails the test."""
    process = subprocess.Popen([sys.executable, "-c", STARTER, *map(str, args)], cwd=cwd,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stderr.readline() == "ready\n"
        deadline = time.monotonic() + PATIENCE
        while not ready(process.pid) and process.poll() is None:
            assert time.monotonic() < deadline, "never became ready"
            time.sleep(0.02)
        for _ in range(2):
            os.killpg(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=PATIENCE)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode, stdout, stderr


def has_children(pid: int) -> bool:
    """Whether process pid has started a child process (Linux's /proc)."""
    return bool(_children(pid))


def child_at_work(pid: int, cpu_seconds: float = 1.0) -> bool:
    """Whether a child of process pid has used `cpu_seconds` of CPU: a worker past its
    start-up, in the middle of a job (Linux's /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    for child in _children(pid):
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:                                      # it ended meanwhile
            continue
        if (int(fields[11]) + int(fields[12])) / tick >= cpu_seconds:   # utime + stime
            return True
    return False


def _children(pid: int) -> list[str]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return children.read_text().split() if children.exists() else []
