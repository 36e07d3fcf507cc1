"""The Python front door: solve puzzles with a model exactly as `sudoku-tf solve` does.

A `Solver` holds a model as its stored decoding settings shape it (symmetries, passes,
threshold, search's own settings), each overridable by keyword as by flag on the
command line. `solve` and `eval` on the command line decode through it too.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from .board import EMPTY, N_CELLS, PuzzleError, check_boards, format_grid, format_line, parse_board
from .decode import AUTO, BATCH_SIZE, MAX_CALLS, STRATEGIES, DecodeResult, decode
from .evaluation import evaluate
from .models import SudokuModel, load_model, sudoku_network
from .settings import check, decoding_network, search_network


@dataclass(frozen=True)
class Solution:
    """One puzzle's answer. Boards are (9, 9) int8, 0 = empty.

    grid: the answer (full when `solved`); network_cells (9, 9) bool: the empty cells the
    network filled itself (the others a search filled); calls: network calls it took;
    seconds: the solve's wall time, shared evenly among the puzzles solved together;
    no_solution: a search proved the puzzle has none.
    """

    puzzle: np.ndarray
    grid: np.ndarray
    solved: bool
    network_cells: np.ndarray
    calls: int
    seconds: float
    no_solution: bool = False

    @property
    def line(self) -> str:
        """The answer as 81 characters, `.` for a cell left empty."""
        return format_line(self.grid.ravel())

    def __str__(self) -> str:
        """The answer as a grid; `*` marks a digit the network filled, `+` one a search did."""
        filled = (self.puzzle == EMPTY) & (self.grid != EMPTY)
        return format_grid(self.grid.ravel(), self.puzzle.ravel(),
                           searched=(filled & ~self.network_cells).ravel())


class Solver:
    """A model ready to solve puzzles as the command line does.

    model: a model file's path, a loaded `SudokuModel`, None for the shipped model, or a
    network alone (a `NetworkTransformer` trained in Python: no stored settings).
    strategy: `auto` (iterative decoding, and guided search where it gets stuck) or one
    of `decode.STRATEGIES`. settings: any of `settings.BUILT_IN` (symmetries=, passes=,
    threshold=, ...), each beating the one the model carries; `as_trained` ignores the
    carried ones. per_step, max_calls and batch_size are `decode`'s.
    """

    def __init__(self, model=None, *, strategy: str = AUTO, per_step: int = 1,
                 max_calls: int = MAX_CALLS, batch_size: int = BATCH_SIZE,
                 as_trained: bool = False, **settings):
        if strategy not in (AUTO, *STRATEGIES):
            raise ValueError(f"unknown strategy {strategy!r}; use one of "
                             f"{', '.join((AUTO, *STRATEGIES))}")
        self.model = _as_model(model)
        carried = {} if as_trained else self.model.settings
        network, self.refining, used = decoding_network(self.model.network, carried,
                                                        check(settings))
        searching, search_used = search_network(self.refining, carried, settings)
        self.strategy = strategy
        self.network = searching if strategy == "search" else network
        # the settings the strategy decodes with (search's own, for search)
        self.settings = search_used if strategy == "search" else used
        # decode's options, as the strategy uses them
        self._options = {"strategy": strategy, "per_step": per_step, "max_calls": max_calls,
                         "batch_size": batch_size, "threshold": self.settings["threshold"],
                         "trajectories": self.settings["trajectories"],
                         "wave": self.settings["wave"],
                         "search": (searching, search_used["threshold"]) if strategy == AUTO
                         else None}

    def decode(self, puzzles: np.ndarray, progress=None) -> DecodeResult:
        """Decode (B, 81) puzzles; `progress(n)` hears of n more done."""
        return decode(self.network, puzzles, progress=progress, **self._options)

    def solve(self, puzzles, progress=None) -> Solution | list[Solution]:
        """Solve one puzzle (an 81-character string or 9x9 grid text, an (81,) or (9, 9)
        array) or a batch (a list of those, or a (B, 81) or (B, 9, 9) array): a Solution,
        or a list of them. PuzzleError (a ValueError) for a puzzle that breaks the rules."""
        boards, single = as_boards(puzzles)
        start = time.perf_counter()
        result = self.decode(boards, progress)
        seconds = (time.perf_counter() - start) / max(len(boards), 1)
        network = (result.network_placed if result.network_placed is not None else
                   np.zeros_like(boards, bool) if self.strategy == "search" else
                   result.order >= 0)                                   # (B, 81)
        proven = (np.zeros(len(boards), bool) if result.no_solution is None
                  else result.no_solution)
        answers = [Solution(boards[k].reshape(9, 9), result.boards[k].reshape(9, 9),
                            bool(result.solved[k]), network[k].reshape(9, 9),
                            int(result.calls[k]), seconds, bool(proven[k]))
                   for k in range(len(boards))]
        return answers[0] if single else answers

    def evaluate(self, puzzles: np.ndarray, solutions: np.ndarray | None = None,
                 by_difficulty: bool = False, progress=None) -> dict:
        """`evaluation.evaluate` by ranges of givens, under this solver's strategy and
        settings: the strategy, the settings used, the scores, and mean passes per call."""
        report = evaluate(self.network, puzzles, solutions, by_givens=True,
                          by_difficulty=by_difficulty, progress=progress, **self._options)
        return {"strategy": self.strategy, **self.settings, **report,
                "mean_passes": self.refining.mean_passes}


def _as_model(model) -> SudokuModel:
    """Whatever `Solver` was given as its model, as a SudokuModel."""
    if isinstance(model, SudokuModel):
        return model
    if model is None or isinstance(model, (str, os.PathLike)):
        return load_model(model)
    return SudokuModel(sudoku_network(model, "the network given"), {}, None)


def solve(puzzles, model=None, **options) -> Solution | list[Solution]:
    """Solve puzzles with `model` (None: the shipped one) as `sudoku-tf solve` does; see
    `Solver` for the options. Loads the model on each call: build a Solver to reuse it."""
    return Solver(model, **options).solve(puzzles)


def as_boards(puzzles) -> tuple[np.ndarray, bool]:
    """(B, 81) int8 boards from any input `Solver.solve` takes, and whether it was one
    puzzle; PuzzleError naming what is wrong."""
    if isinstance(puzzles, str):
        return parse_board(puzzles)[None], True
    if isinstance(puzzles, (list, tuple)) and puzzles and all(isinstance(p, str) for p in puzzles):
        return np.stack([parse_board(p) for p in puzzles]), False
    boards = np.asarray(puzzles)
    single = boards.shape in ((N_CELLS,), (9, 9))
    batch = boards.shape[1:] in ((N_CELLS,), (9, 9))
    if boards.dtype.kind not in "iu" or not (single or batch):
        raise PuzzleError(f"a puzzle is 81 cells of 0-9 (a string, or an (81,) or (9, 9) "
                          f"integer array), got {boards.dtype} of shape {boards.shape}")
    boards = boards.reshape(-1, N_CELLS)
    if ((boards < 0) | (boards > 9)).any():
        raise PuzzleError("cells hold 0 (empty) or a digit 1-9")
    boards = boards.astype(np.int8)
    check_boards(boards)
    return boards, single
