"""What the attention heads of a Sudoku model look at: mass on the query cell's row,
column and box, a label per head, entropy, and how it changes as the board fills.

Numbers only; `page` draws them.

A (query, key) pair of cells falls in exactly one of seven disjoint classes (CLASSES):
the cell itself, a peer sharing only its row, its row and its box, only its box, its
column and its box, only its column, or no unit at all. A head's scores (SCORES) add
them up per unit: `row` is the mass on the 8 other cells of the query's row (the `row`
and `row+box` classes), likewise `column` and `box`; these overlap by design, so a pure
row head scores row 1.0 and box 0.25. `self` is the query itself, `other` the 60 cells
sharing no unit. Chance is what uniform attention gets: 8/81 per unit, 1/81, 60/81.
A head is labelled by `label_head`: self, row, column, box, or mixed when none dominates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..board import EMPTY, N_CELLS, RELATION_NAMES, RELATIONS
from ..decode import Refining, iterative

CLASSES = ("self", "row", "row+box", "box", "column+box", "column", "other")
SCORES = ("self", "row", "column", "box", "other")
LABELS = ("self", "row", "column", "box", "mixed")
# labelling rule: a candidate's score (self, row, column, box) must reach MIN_MASS (over
# 4x the 8/81 chance of a unit, 32x that of self) and DOMINANCE times each other's
MIN_MASS = 0.4
DOMINANCE = 2.0
LATE_FRACTION = 0.8        # the late boards have this share of their empty cells filled
LATE_PER_STEP = 5          # cells filled per network call when decoding to the late boards


# the board's relations (the ids of attention's relation bias) are the same seven classes
CLASS_OF_RELATION = {"same cell": "self", "row": "row", "column": "column", "box": "box",
                     "row in box": "row+box", "column in box": "column+box", "none": "other"}
_CLASS_OF_ID = np.array([CLASSES.index(CLASS_OF_RELATION[name]) for name in RELATION_NAMES])
CLASS_INDEX = _CLASS_OF_ID[RELATIONS]          # (81, 81): the CLASSES index of each pair
CLASS_INDEX.flags.writeable = False
# which classes make up each score: (len(SCORES), len(CLASSES)) 0/1
_SCORE_OF_CLASS = np.array([[name == "self", "row" in name, "column" in name,
                             "box" in name, name == "other"] for name in CLASSES], float).T
CLASS_CHANCE = np.bincount(CLASS_INDEX[0], minlength=len(CLASSES)) / N_CELLS
SCORE_CHANCE = _SCORE_OF_CLASS @ CLASS_CHANCE


def class_masses(maps: np.ndarray) -> np.ndarray:
    """Attention maps (..., 81, 81) -> mean mass per class over queries (..., 7)."""
    one_hot = CLASS_INDEX[..., None] == np.arange(len(CLASSES))   # (81, 81, 7)
    return np.einsum("...qk,qkc->...c", maps, one_hot.astype(maps.dtype)) / N_CELLS


def head_scores(maps: np.ndarray) -> np.ndarray:
    """Attention maps (..., 81, 81) -> scores (..., 5) in SCORES order: self, row,
    column, box, other (row, column and box overlap; see the module docstring)."""
    return class_masses(maps) @ _SCORE_OF_CLASS.T


def label_head(scores: np.ndarray) -> str:
    """`self`, `row`, `column` or `box` for the candidate whose score is at least MIN_MASS
    and DOMINANCE times each other candidate's; else `mixed`. scores: (5,) as SCORES."""
    candidates = np.asarray(scores, float)[:4]                      # all but `other`
    best = int(candidates.argmax())
    rest = np.delete(candidates, best)
    if candidates[best] >= MIN_MASS and (candidates[best] >= DOMINANCE * rest).all():
        return SCORES[best]
    return "mixed"


def entropy_bits(probs: np.ndarray) -> np.ndarray:
    """Entropy in bits of distributions over the last axis: (..., T) -> (...)."""
    logs = np.log2(np.maximum(probs, np.finfo(probs.dtype).tiny))
    return -(probs * logs).sum(-1)


@dataclass
class StageStats:
    """Attention over one set of boards, per block application L (pass-major) and head H.

    maps (L, H, 81, 81): mean attention over the boards. entropy (L, H): mean entropy in
    bits of one query's attention. filled_mass (L, H): mean mass an empty cell puts on
    filled cells; filled_share: the mean share of filled cells, which uniform gives.
    """

    name: str
    boards: np.ndarray
    maps: np.ndarray
    entropy: np.ndarray
    filled_mass: np.ndarray
    filled_share: float

    def scores(self) -> np.ndarray:
        """(L, H, 5) in SCORES order."""
        return head_scores(self.maps)

    def labels(self) -> list[list[str]]:
        """[L][H] head labels."""
        return [[label_head(s) for s in layer] for layer in self.scores()]


def collect(model, boards: np.ndarray, name: str = "boards", batch_size: int = 32,
            passes: int | None = None) -> StageStats:
    """Runs the model over boards (N, 81) int8 and averages the attention of every head
    in every one of `passes` passes (default: the model's own)."""
    boards = np.atleast_2d(boards).astype(np.int8)
    if not len(boards):
        raise ValueError("no boards to collect attention from")
    filled = (boards != EMPTY).astype(np.float32)                   # (N, 81)
    has_empty = filled.min(1) == 0                                   # (N,)
    weight = has_empty / max(int(has_empty.sum()), 1)                # averages over those boards
    # an empty query's mass on filled keys, averaged over the empty queries of its board
    query_weight = (1 - filled) * (weight / np.maximum((1 - filled).sum(1), 1))[:, None]
    sums = None
    for start in range(0, len(boards), batch_size):
        part = slice(start, start + batch_size)
        model.forward(boards[part], passes)                         # every pass keeps its maps
        layers = model.get_attention_weights()                       # L x (B, H, 81, 81)
        if sums is None:
            shape = (len(layers), layers[0].shape[1])
            sums = [np.zeros(shape + (N_CELLS, N_CELLS)), np.zeros(shape), np.zeros(shape)]
        for layer, attn in enumerate(layers):
            on_filled = attn @ filled[part, None, :, None]          # (B, H, 81, 1)
            sums[0][layer] += attn.sum(0)
            sums[1][layer] += entropy_bits(attn).mean(-1).sum(0)
            sums[2][layer] += np.einsum("bhq,bq->h", on_filled[..., 0], query_weight[part])
    n = len(boards)
    return StageStats(name, boards, sums[0] / n, sums[1] / n, sums[2],
                      float(filled.mean(1) @ weight))


def late_boards(puzzles: np.ndarray, boards: np.ndarray, order: np.ndarray,
                fraction: float = LATE_FRACTION) -> np.ndarray:
    """The boards met late in decoding: each puzzle with the first `fraction` of the cells
    decoding filled (by `order`, the pass of each fill; -1 = not filled) put back."""
    rank = np.where(order >= 0, order, np.iinfo(order.dtype).max)
    first = np.argsort(rank, axis=1, kind="stable")                 # fill order, cell ids
    keep = np.floor((order >= 0).sum(1) * fraction).astype(int)      # (N,)
    take = np.arange(N_CELLS) < keep[:, None]                        # (N, 81) over `first`
    late = puzzles.copy()
    rows = np.nonzero(take)[0]
    late[rows, first[take]] = boards[rows, first[take]]
    return late


@dataclass
class AttentionAnalysis:
    """Attention of every head on the puzzles as given (`start`) and late in decoding."""

    config: dict
    start: StageStats
    late: StageStats

    def heads(self) -> list[dict]:
        """One JSON-ready record per head: where it sits, then its numbers on the puzzles
        as given, with the same numbers for the late boards under `late`."""
        n_blocks = self.config["n_blocks"]
        start, late = _stage_records(self.start), _stage_records(self.late)
        return [{"layer": layer, "pass": layer // n_blocks, "block": layer % n_blocks,
                 "head": head, **start[layer][head], "late": late[layer][head]}
                for layer, head in np.ndindex(self.start.maps.shape[:2])]


def _stage_records(stage: StageStats) -> list[list[dict]]:
    """[L][H] JSON-ready numbers of one stage."""
    scores, classes, labels = stage.scores(), class_masses(stage.maps), stage.labels()
    return [[{"label": labels[layer][head],
              "scores": _named(SCORES, scores[layer, head]),
              "classes": _named(CLASSES, classes[layer, head]),
              "strongest": strongest_class(classes[layer, head]),
              "entropy_bits": round(float(stage.entropy[layer, head]), 4),
              "filled_mass": round(float(stage.filled_mass[layer, head]), 4),
              "filled_share": round(stage.filled_share, 4)}
             for head in range(scores.shape[1])] for layer in range(scores.shape[0])]


def strongest_class(masses: np.ndarray) -> dict:
    """The class holding the most attention beyond chance, from masses (7,) as CLASSES:
    its name, mass and mass / chance. (Mass, not ratio: one cell of self is easily 9x.)"""
    k = int((masses - CLASS_CHANCE).argmax())
    return {"class": CLASSES[k], "mass": round(float(masses[k]), 4),
            "times_chance": round(float(masses[k] / CLASS_CHANCE[k]), 2)}


def relation_biases(model) -> dict | None:
    """What each block's heads learned to add to a score by how the key relates to the
    query, JSON-ready: the relations' names (CLASSES order for the board's relations) and
    per block and head one bias per relation; None when the model learns no such bias."""
    relations = model.config().get("relations")
    if relations is None:
        return None
    biases = np.stack([block.attn.relation_bias.value for block in model.blocks])  # (L, H, R)
    if np.array_equal(relations, RELATIONS):
        order = np.argsort(_CLASS_OF_ID)                       # relation ids in CLASSES order
        names, biases = list(CLASSES), biases[..., order]
    else:
        names = [f"relation {r}" for r in range(biases.shape[-1])]
    return {"relations": names, "blocks": np.round(biases.astype(float), 4).tolist()}


def chance_levels() -> dict:
    """What uniform attention scores, per score and per class, JSON-ready."""
    return {"scores": _named(SCORES, SCORE_CHANCE), "classes": _named(CLASSES, CLASS_CHANCE)}


def _named(names, values) -> dict:
    return {name: round(float(v), 4) for name, v in zip(names, values)}


def analyze(model, puzzles: np.ndarray, batch_size: int = 32,
            passes: int | None = None) -> AttentionAnalysis:
    """Attention statistics of every head, in each of `passes` passes (default: the
    model's own), on the puzzles (N, 81) and on the boards that iterative decoding
    (LATE_PER_STEP cells a call) reaches when LATE_FRACTION is filled."""
    puzzles = np.atleast_2d(puzzles).astype(np.int8)
    network = Refining(model, passes)
    decoded = iterative(network, puzzles, per_step=LATE_PER_STEP, batch_size=batch_size)
    late = late_boards(puzzles, decoded.boards, decoded.order)
    config = {**{k: model.config()[k] for k in ("n_blocks", "n_heads")}, "n_loops": network.passes}
    return AttentionAnalysis(config, collect(model, puzzles, "start", batch_size, network.passes),
                             collect(model, late, "late", batch_size, network.passes))
