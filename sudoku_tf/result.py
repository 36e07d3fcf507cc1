"""What decoding a batch of puzzles gives back: one type for every strategy of `decode`
and for the search underneath them (`guided_search`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class DecodeResult:
    """Boards (B, 81) int8 after decoding; solved (B,) bool; network calls (B,) int.

    `order` (B, 81) int gives the step in which each cell was filled (-1: given or
    unfilled) and `confidence` (B, 81) float the network's probability for that digit.
    Search (and `auto`) also fill `backtracks` (B,) int and `no_solution` (B,) bool: the
    puzzle was proven to have no solution. `auto` adds `network_solved` (B,) bool: iterative
    decoding alone solved it, and `network_placed` (B, 81) bool: the cells of the answer
    the network filled (the search filled the other empty cells). Iterative decoding
    (and `auto`) fill `trajectories` (B,) int: how many independent trajectories it
    started on each puzzle.
    """

    boards: np.ndarray
    solved: np.ndarray
    calls: np.ndarray
    order: np.ndarray = field(default=None)
    confidence: np.ndarray = field(default=None)
    backtracks: np.ndarray = field(default=None)
    no_solution: np.ndarray = field(default=None)
    network_solved: np.ndarray = field(default=None)
    network_placed: np.ndarray = field(default=None)
    trajectories: np.ndarray = field(default=None)
