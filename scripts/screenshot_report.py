"""Open an attention report in headless Chromium: save a PNG screenshot, or check that it
renders without console errors (exit 1 when it logs any).

Needs the `chromium` binary (Debian package `chromium`). Nothing is fetched: the report is
self-contained and Chromium runs with networking features off and a fresh profile.

Usage:
    python scripts/screenshot_report.py reports/attention.html -o reports/attention.png --force
    python scripts/screenshot_report.py reports/attention.html -o top.png --width 1280 --height 900
    python scripts/screenshot_report.py reports/attention.html --check
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sudoku_tf.outputs import check_free

CHROMIUM = "chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]
# Chromium logs each console message and uncaught exception as `...:CONSOLE...] "text"`
CONSOLE = re.compile(r":CONSOLE[^\]]*\] (.*)")


def find_chromium() -> str | None:
    """The path of the chromium binary, or None."""
    return shutil.which(CHROMIUM)


def run_chromium(page: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Runs headless Chromium on a local page with a throw-away profile."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return subprocess.run([find_chromium() or CHROMIUM, *FLAGS, f"--user-data-dir={profile}",
                               *args, page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=timeout)


def render(page: Path) -> tuple[str, list[str]]:
    """The DOM after the page's scripts ran, and every console message it logged."""
    done = run_chromium(page, "--dump-dom")
    return done.stdout, CONSOLE.findall(done.stderr)


def screenshot(page: Path, png: Path, width: int, height: int) -> None:
    """Writes a PNG of the top width x height pixels of the page: whole, or not at all."""
    partial = png.with_name(f".{png.name}.partial.png")
    run_chromium(page, f"--screenshot={partial.resolve()}", f"--window-size={width},{height}")
    if not partial.is_file():
        raise RuntimeError(f"chromium wrote no screenshot to {png}")
    os.replace(partial, png)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="the HTML report")
    parser.add_argument("-o", "--output", type=Path, help="PNG to write")
    parser.add_argument("--width", type=int, default=1280, help="viewport width in pixels")
    parser.add_argument("--height", type=int, default=2400, help="viewport height in pixels")
    parser.add_argument("--check", action="store_true", help="only check for console errors")
    parser.add_argument("--force", action="store_true", help="replace the PNG if it exists")
    args = parser.parse_args(argv)
    if not args.report.is_file():
        parser.error(f"{args.report}: no such file")
    if not (args.check or args.output):
        parser.error("give -o PNG or --check")
    try:
        check_free([args.output] if args.output and not args.check else [], args.force)
    except FileExistsError as err:
        parser.error(str(err))
    if find_chromium() is None:
        print("chromium not found; install the Debian package `chromium`", file=sys.stderr)
        return 2
    if args.check:
        dom, messages = render(args.report)
        for message in messages:
            print(f"console: {message}", file=sys.stderr)
        print(f"{args.report}: {len(dom):,} characters of DOM, {len(messages)} console messages")
        return 1 if messages or not dom else 0
    screenshot(args.report, args.output, args.width, args.height)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
