"""Dataset files in every format, atomic writes, and training batches."""

from pathlib import Path

import numpy as np
import pytest

from sudoku_tf.board import PuzzleError, count_givens, is_valid_solution
from sudoku_tf.data import (check_output, load_dataset, make_batch, reveal, save_dataset,
                            singles_path)
from sudoku_tf.candidates import propagate, to_boards, to_masks
from sudoku_tf.generator import DIFFICULTIES, PuzzleSpec, generate_one, generate_puzzles, rate
from sudoku_tf.solver import count_solutions


@pytest.fixture(scope="module")
def dataset():
    return generate_puzzles(12, PuzzleSpec((28, 40)), seed=5)


@pytest.mark.parametrize("suffix", [".npz", ".csv", ".txt"])
def test_datasets_round_trip_in_every_format(tmp_path, dataset, suffix):
    puzzles, solutions = dataset
    path = save_dataset(tmp_path / f"set{suffix}", puzzles, solutions)
    loaded, loaded_solutions = load_dataset(path)
    assert loaded.dtype == np.int8 and (loaded == puzzles).all()
    if suffix == ".txt":
        assert loaded_solutions is None
    else:
        assert (loaded_solutions == solutions).all()
    assert [p.name for p in tmp_path.iterdir()] == [f"set{suffix}"]    # no temporary left


def test_existing_file_is_kept_unless_forced(tmp_path, dataset):
    path = tmp_path / "set.csv"
    path.write_text("precious")
    with pytest.raises(FileExistsError, match="--force"):
        save_dataset(path, *dataset)
    assert path.read_text() == "precious"
    save_dataset(path, *dataset, force=True)
    assert (load_dataset(path)[0] == dataset[0]).all()


def test_failed_write_leaves_no_file(tmp_path, dataset):
    with pytest.raises(ValueError, match="needs solutions"):
        save_dataset(tmp_path / "set.csv", dataset[0])
    with pytest.raises(ValueError, match="unknown extension '.json'"):
        check_output(tmp_path / "set.json")
    with pytest.raises(TypeError):
        save_dataset(tmp_path / "set.npz", dataset[0], object())
    assert list(tmp_path.iterdir()) == []


def test_npz_contents_are_checked(tmp_path, dataset):
    puzzles, solutions = dataset
    bad = puzzles.copy()
    bad[3, :2] = 7
    cases = {
        "no_puzzles.npz": ({"solutions": solutions}, "no 'puzzles' array"),
        "shape.npz": ({"puzzles": puzzles[:, :80]}, r"must be an \(N, 81\) integer array"),
        "floats.npz": ({"puzzles": puzzles.astype(float)}, "integer array"),
        "range.npz": ({"puzzles": puzzles * 2}, "outside 0-9"),
        "conflict.npz": ({"puzzles": bad}, "board 3: r1c1 and r1c2 both hold 7"),
        "mismatch.npz": ({"puzzles": puzzles, "solutions": solutions[:3]}, "'solutions' has shape"),
    }
    for name, (arrays, message) in cases.items():
        np.savez(tmp_path / name, **arrays)
        with pytest.raises(PuzzleError, match=message):
            load_dataset(tmp_path / name)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(PuzzleError, match="junk.npz: not an .npz archive"):
        load_dataset(tmp_path / "junk.npz")


def test_reveal_fills_from_the_solution_up_to_the_drawn_givens():
    puzzles, solutions = generate_puzzles(4, PuzzleSpec((30, 30)), seed=1)
    boards = reveal(puzzles, solutions, 50, 50, np.random.default_rng(0))
    assert ((boards != 0).sum(1) == 50).all()
    assert ((boards == 0) | (boards == solutions)).all()
    assert (boards[puzzles != 0] == puzzles[puzzles != 0]).all()


def test_training_batches_are_symmetric_variants_with_the_empty_cells_masked(dataset):
    puzzles, solutions = dataset
    tokens, targets, mask = make_batch(puzzles, solutions, 32, 30, 45, np.random.default_rng(0))
    assert tokens.shape == targets.shape == mask.shape == (32, 81) and tokens.dtype == np.int8
    assert (mask == (tokens == 0)).all()
    assert targets.min() == 0 and targets.max() == 8                  # class ids of digits 1-9
    assert all(is_valid_solution(t, s + 1) for t, s in zip(tokens, targets))
    givens = count_givens(tokens)
    assert givens.min() >= 30 and givens.max() <= 45                 # revealed to U[30, 45]
    originals = {s.tobytes() for s in solutions}
    drawn = (targets + 1).astype(np.int8)
    assert sum(s.tobytes() in originals for s in drawn) < 4           # augmented, not copies


def test_singles_path_boards_lie_between_the_puzzle_and_what_singles_decide():
    puzzles, solutions = generate_puzzles(8, PuzzleSpec((22, 26)), seed=3)
    closed = to_boards(propagate(to_masks(puzzles))[0])
    boards = np.concatenate([singles_path(puzzles, np.random.default_rng(seed))
                             for seed in range(20)])                      # (160, 81)
    puzzles, closed = np.tile(puzzles, (20, 1)), np.tile(closed, (20, 1))
    assert ((puzzles == 0) | (boards == puzzles)).all()                   # givens kept
    assert ((boards == 0) | (boards == closed)).all()                     # singles decide the rest
    assert (boards == 0).any(1).all()                                     # never the full grid
    filled = (boards != 0).sum(1)
    assert (filled == (puzzles != 0).sum(1)).any()                        # the path's start
    assert (filled > (puzzles != 0).sum(1)).mean() > 0.5                  # and points along it


def test_path_share_takes_that_share_of_boards_from_the_singles_path():
    puzzles, solutions = generate_puzzles(8, PuzzleSpec((22, 26)), seed=3)
    plain = make_batch(puzzles, solutions, 64, 60, 60, np.random.default_rng(1))
    assert (count_givens(plain[0]) == 60).all()
    tokens, targets, mask = make_batch(puzzles, solutions, 64, 60, 60, np.random.default_rng(1),
                                       path_share=0.5)
    assert (mask == (tokens == 0)).all()
    assert all(is_valid_solution(t, s + 1) for t, s in zip(tokens, targets))
    on_path = count_givens(tokens) != 60
    assert 16 < on_path.sum() < 48


def test_fuzzed_files_load_or_raise_puzzle_error(tmp_path, dataset):
    puzzles, solutions = dataset
    originals = {suffix: save_dataset(tmp_path / f"set{suffix}", puzzles, solutions).read_bytes()
                 for suffix in (".npz", ".csv", ".txt")}
    rng = np.random.default_rng(99)
    outcomes = set()
    for k in range(300):
        suffix = (".npz", ".csv", ".txt")[k % 3]
        data = bytearray(originals[suffix])
        for _ in range(int(rng.integers(1, 4))):        # flip, cut, splice or blank bytes
            at, edit = int(rng.integers(len(data))), rng.integers(4)
            if edit == 0:
                data[at] = int(rng.integers(256))
            elif edit == 1:
                del data[at:at + int(rng.integers(1, 500))]
            elif edit == 2:
                data[at:at] = bytes(rng.integers(0, 256, 20, dtype=np.uint8))
            elif chr(data[at]) in "123456789":
                data[at] = ord(".")
        path = tmp_path / f"fuzz{k}{suffix}"
        path.write_bytes(bytes(data))
        try:
            loaded, _ = load_dataset(path)
            assert loaded.dtype == np.int8 and loaded.shape[1] == 81
            outcomes.add("loaded")
        except PuzzleError:
            outcomes.add("refused")
    assert outcomes == {"loaded", "refused"}


EVAL_SET = Path(__file__).resolve().parent.parent / "data" / "eval1000.csv"


def test_shipped_evaluation_set_is_unique_balanced_and_spread():
    puzzles, solutions = load_dataset(EVAL_SET)
    assert puzzles.shape == solutions.shape == (1000, 81)
    assert all(count_solutions(p) == 1 for p in puzzles)
    labels = [rate(p) for p in puzzles]
    assert {d: labels.count(d) for d in DIFFICULTIES} == dict.fromkeys(DIFFICULTIES, 250)
    givens = count_givens(puzzles)
    assert givens.min() == 22 and givens.max() == 45


def test_readme_command_still_makes_the_evaluation_set():
    puzzles, solutions = load_dataset(EVAL_SET)
    seeds = np.random.SeedSequence(2024).spawn(1000)     # --seed 2024, -n 1000
    for k in (0, 1, 6, 7):                               # one of each difficulty, in turn
        spec = PuzzleSpec((22, 45), DIFFICULTIES[k % 4])
        puzzle, solution = generate_one(spec, seeds[k])
        assert (puzzle == puzzles[k]).all() and (solution == solutions[k]).all()
