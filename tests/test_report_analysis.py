"""Head scores and labels on hand-built attention maps, statistics over boards with a
model whose attention is known, and the sanity check that an untrained model is mixed."""

import numpy as np
import pytest

from sudoku_tf.board import BOX, COL, RELATION_NAMES, ROW
from sudoku_tf.nn import NetworkTransformer
from sudoku_tf.report.analysis import (CLASS_CHANCE, CLASS_INDEX, CLASSES, DOMINANCE,
                                       MIN_MASS, SCORE_CHANCE, SCORES, analyze,
                                       class_masses, collect, entropy_bits, head_scores,
                                       label_head, late_boards, relation_biases,
                                       strongest_class)
from sudoku_tf.train import TrainConfig, build_model

SELF = np.eye(81, dtype=bool)


def unit_head(key) -> np.ndarray:
    """(81, 81): every cell attends evenly to the 8 others sharing key (ROW, COL or BOX)."""
    peers = (key[:, None] == key[None, :]) & ~SELF
    return peers / peers.sum(1, keepdims=True)


ROW_HEAD, COLUMN_HEAD, BOX_HEAD = unit_head(ROW), unit_head(COL), unit_head(BOX)
UNIFORM = np.full((81, 81), 1 / 81)


def scores(**named) -> np.ndarray:
    return np.array([named.get(name, 0.0) for name in SCORES])


@pytest.mark.parametrize("attention, expected, label", [
    (ROW_HEAD, scores(row=1, box=0.25), "row"),
    (COLUMN_HEAD, scores(column=1, box=0.25), "column"),
    (BOX_HEAD, scores(row=0.25, column=0.25, box=1), "box"),
    (SELF.astype(float), scores(self=1), "self"),
    (UNIFORM, scores(self=1 / 81, row=8 / 81, column=8 / 81, box=8 / 81, other=60 / 81), "mixed"),
])
def test_hand_built_heads_get_exact_scores_and_labels(attention, expected, label):
    assert np.allclose(head_scores(attention), expected, rtol=0, atol=1e-12)
    assert label_head(head_scores(attention)) == label


def test_pure_heads_fill_exactly_their_disjoint_classes():
    expected = {"row": {"row": 6 / 8, "row+box": 2 / 8},
                "box": {"box": 4 / 8, "row+box": 2 / 8, "column+box": 2 / 8}}
    for name, attention in [("row", ROW_HEAD), ("box", BOX_HEAD)]:
        want = [expected[name].get(c, 0.0) for c in CLASSES]
        assert np.allclose(class_masses(attention), want, rtol=0, atol=1e-12)


def test_strongest_class_is_the_most_mass_beyond_chance_not_the_highest_ratio():
    # a whole-row head, self included: self and row are both 9x chance, row has the mass
    strongest = strongest_class(class_masses(ROW_HEAD * 8 / 9 + SELF / 9))
    assert strongest == {"class": "row", "mass": pytest.approx(6 / 9, abs=1e-4),
                         "times_chance": pytest.approx(9.0)}


def test_chance_levels_count_the_cells_of_each_class():
    assert np.allclose(CLASS_CHANCE * 81, [1, 6, 2, 4, 2, 6, 60])
    assert np.allclose(SCORE_CHANCE * 81, [1, 8, 8, 8, 60])
    assert np.allclose(class_masses(UNIFORM), CLASS_CHANCE)
    assert class_masses(np.random.default_rng(0).dirichlet(np.ones(81), 81)).sum() == \
        pytest.approx(1.0)


def test_half_row_half_column_and_diluted_heads_are_mixed():
    assert label_head(head_scores((ROW_HEAD + COLUMN_HEAD) / 2)) == "mixed"
    assert label_head(head_scores((ROW_HEAD + BOX_HEAD) / 2)) == "mixed"
    # a row head blended with uniform keeps its label while its row mass stays >= MIN_MASS
    assert label_head(head_scores(0.4 * ROW_HEAD + 0.6 * UNIFORM)) == "row"
    assert label_head(head_scores(0.3 * ROW_HEAD + 0.7 * UNIFORM)) == "mixed"


@pytest.mark.parametrize("top, runner_up, label", [
    (MIN_MASS, MIN_MASS / DOMINANCE, "box"),
    (MIN_MASS - 1e-9, 0.0, "mixed"),
    (0.9, 0.9 / DOMINANCE + 1e-9, "mixed"),
])
def test_label_thresholds_are_inclusive(top, runner_up, label):
    assert label_head(scores(box=top, self=runner_up)) == label


def test_entropy_in_bits():
    assert np.allclose(entropy_bits(ROW_HEAD), 3.0)
    assert np.allclose(entropy_bits(UNIFORM), np.log2(81))
    assert np.allclose(entropy_bits(SELF.astype(np.float32)), 0.0)


class KnownAttention:
    """A stand-in model: its only block application's two heads are a row and a column head."""

    def forward(self, tokens, passes=None):
        self._batch = len(tokens)
        return np.zeros((1, len(tokens), 81, 9), np.float32)

    def get_attention_weights(self):
        heads = np.stack([ROW_HEAD, COLUMN_HEAD]).astype(np.float32)
        return [np.broadcast_to(heads, (self._batch, 2, 81, 81))]


def test_collect_averages_maps_and_measures_mass_on_filled_cells():
    board = np.zeros(81, np.int8)
    board[:9] = np.arange(1, 10)                       # the top row filled, the rest empty
    stats = collect(KnownAttention(), np.stack([board, board, board]), batch_size=2)
    assert stats.maps.shape == (1, 2, 81, 81) and np.allclose(stats.maps[0, 0], ROW_HEAD)
    assert np.allclose(stats.entropy, 3.0)
    # an empty cell's row holds no filled cell; its column holds exactly one of 8
    assert np.allclose(stats.filled_mass, [[0.0, 1 / 8]])
    assert stats.filled_share == pytest.approx(9 / 81)
    assert stats.labels() == [["row", "column"]]


def test_collect_skips_full_boards_for_the_filled_mass():
    full = np.tile(np.arange(1, 10, dtype=np.int8), 9)
    empty = np.zeros(81, np.int8)
    stats = collect(KnownAttention(), np.stack([full, empty]))
    assert np.allclose(stats.filled_mass, 0.0) and stats.filled_share == 0.0


def test_late_boards_put_back_the_first_filled_cells_in_order():
    puzzles = np.zeros((1, 81), np.int8)
    boards = np.full((1, 81), 5, np.int8)
    order = np.full((1, 81), -1)
    order[0, [10, 3, 7, 50, 20]] = [0, 1, 2, 3, 4]    # five cells filled, in this order
    late = late_boards(puzzles, boards, order, fraction=0.6)
    assert np.flatnonzero(late[0]).tolist() == [3, 7, 10]


def wired_model():
    """A real one-block model whose head 1 sees only the row and head 2 only the column.

    Digits embed to zero and positions to one-hot rows (dims 0-8) plus columns (9-17),
    so after the LayerNorm a head whose query and key read dims 0-8 scores same-row
    cells far higher than the rest.
    """
    model = build_model(TrainConfig(d_model=18, n_heads=2, d_ff=4, n_blocks=1, passes=1))
    model.token.E.value[:] = 0
    model.positions[0].E.value[:] = np.eye(9, 18)                # row r -> dim r
    model.positions[1].E.value[:] = np.eye(9, 18, k=9)           # column c -> dim 9 + c
    model.positions[2].E.value[:] = 0
    W = model.blocks[0].attn.qkv.W.value                         # (D, 3D): q | k | v, heads of 9
    W[:, :36] = 0
    for head, dims in enumerate([slice(0, 9), slice(9, 18)]):
        for part in (0, 1):                                      # query and key
            W[dims, part * 18 + head * 9:part * 18 + head * 9 + 9] = 3 * np.eye(9)
    return model


def test_a_model_wired_for_rows_and_columns_gets_those_labels():
    puzzles = np.zeros((2, 81), np.int8)
    puzzles[1, :9] = np.arange(1, 10)
    start = analyze(wired_model(), puzzles).start
    assert start.labels() == [["row", "column"]]
    # a cell attends to its whole row, itself included: self 1/9, row 8/9
    assert np.allclose(start.scores()[0, 0], [1 / 9, 8 / 9, 0, 2 / 9, 0], atol=1e-4)
    assert np.allclose(start.entropy, np.log2(9), atol=1e-3)


def test_untrained_model_has_only_mixed_heads_in_pass_major_order():
    model = build_model(TrainConfig(d_model=16, n_heads=2, d_ff=32, n_blocks=2, passes=2, seed=4))
    puzzles = np.zeros((3, 81), np.int8)
    puzzles[:, :9] = np.arange(1, 10)
    analysis = analyze(model, puzzles)
    assert analysis.start.maps.shape == (4, 2, 81, 81)
    assert np.allclose(analysis.start.maps.sum(-1), 1.0, atol=1e-5)
    heads = analysis.heads()
    assert [(h["pass"], h["block"], h["head"]) for h in heads[::2]] == \
        [(0, 0, 0), (0, 1, 0), (1, 0, 0), (1, 1, 0)]
    assert {h["label"] for h in heads} == {h["late"]["label"] for h in heads} == {"mixed"}
    assert heads[0]["late"]["filled_share"] > heads[0]["filled_share"]


def test_relation_biases_come_per_block_and_head_in_class_order():
    model = build_model(TrainConfig(d_model=16, n_heads=2, d_ff=8, n_blocks=2, relations=True))
    bias = model.blocks[1].attn.relation_bias.value                  # (H, R) in RELATION_NAMES order
    bias[1, RELATION_NAMES.index("row in box")] = 3.0
    bias[0, RELATION_NAMES.index("column")] = -1.5
    found = relation_biases(model)
    assert found["relations"] == list(CLASSES)
    assert np.array(found["blocks"]).shape == (2, 2, 7) and not np.any(found["blocks"][0])
    assert found["blocks"][1][1][CLASSES.index("row+box")] == 3.0
    assert found["blocks"][1][0][CLASSES.index("column")] == -1.5
    assert sum(map(abs, np.ravel(found["blocks"]))) == 4.5


def test_relation_biases_of_other_relations_are_numbered_and_absent_without_any():
    assert relation_biases(build_model(TrainConfig(d_model=16, n_heads=2, d_ff=8, n_blocks=1))) is None
    model = NetworkTransformer(81, d_model=8, n_heads=2, d_ff=8, n_blocks=1,
                               relations=np.eye(81, dtype=int).tolist(), seed=0)
    model.blocks[0].attn.relation_bias.value[:] = [[0.5, -0.5], [0.25, 0.0]]
    assert relation_biases(model) == {"relations": ["relation 0", "relation 1"],
                                      "blocks": [[[0.5, -0.5], [0.25, 0.0]]]}


def test_classes_are_the_boards_relations_renamed():
    assert CLASS_INDEX[40, 40] == CLASSES.index("self")
    names = {CLASSES[CLASS_INDEX[40, key]] for key in (36, 44)}      # r5c1, r5c9
    assert names == {"row"} and CLASSES[CLASS_INDEX[40, 39]] == "row+box"   # r5c4
    assert CLASSES[CLASS_INDEX[40, 30]] == "box" and CLASSES[CLASS_INDEX[40, 31]] == "column+box"
    assert CLASSES[CLASS_INDEX[40, 4]] == "column" and CLASSES[CLASS_INDEX[40, 0]] == "other"
