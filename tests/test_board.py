"""Parsing, formatting and rule checks of sudoku_tf.board on real puzzle text."""

from pathlib import Path

import numpy as np
import pytest

from sudoku_tf.board import (
    BOX, COL, ROW, UNITS, PuzzleError, board_to_dict, candidates_mask, check_board,
    count_givens, find_conflict, format_grid, format_json, format_line, has_conflict,
    is_valid_solution, parse_board, parse_boards, read_boards,
)

DATA = Path(__file__).resolve().parent.parent / "data"
PUZZLE = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79"
SOLUTION = "534678912672195348198342567859761423426853791713924856961537284287419635345286179"


@pytest.fixture
def pair():
    return parse_board(PUZZLE), parse_board(SOLUTION)


def test_cell_geometry_follows_the_conventions():
    i = np.arange(81)
    assert (ROW == i // 9).all() and (COL == i % 9).all()
    assert (BOX == (i // 27) * 3 + (i % 9) // 3).all()
    assert sorted(UNITS.ravel().tolist()) == sorted(list(range(81)) * 3)


def test_every_example_file_holds_the_same_puzzle(pair):
    puzzle, solution = pair
    for name in ("example.txt", "example_grid.txt", "example.csv"):
        puzzles, solutions = read_boards(DATA / name)
        assert puzzles.dtype == np.int8 and puzzles.shape == (1, 81)
        assert (puzzles[0] == puzzle).all(), name
    assert (solutions[0] == solution).all()


def test_single_line_parses_with_dots_or_zeros(pair):
    puzzle, _ = pair
    assert (parse_board(PUZZLE.replace(".", "0")) == puzzle).all()
    assert count_givens(puzzle) == 30


@pytest.mark.parametrize("fmt", ["line", "grid", "grid_marked_free", "csv", "json"])
def test_formats_round_trip_through_the_parser(pair, fmt):
    puzzle, solution = pair
    boards = np.stack([puzzle, solution, np.zeros(81, np.int8)])
    if fmt == "line":
        text = "\n".join(format_line(b) for b in boards)
    elif fmt in ("grid", "grid_marked_free"):
        text = "\n\n".join(format_grid(b) for b in boards)
    elif fmt == "csv":
        text = "puzzle,solution\n" + "\n".join(f"{format_line(puzzle)},{format_line(solution)}"
                                                for _ in range(3))
    else:
        text = "\n".join(board_to_dict(b)["line"] for b in boards)
    puzzles, solutions = parse_boards(text)
    if fmt == "csv":
        assert (puzzles == puzzle).all() and (solutions == solution).all()
    else:
        assert solutions is None and (puzzles == boards).all()


def test_grid_with_other_separators_and_comments_parses(pair):
    puzzle, _ = pair
    rows = [PUZZLE[r * 9:r * 9 + 9] for r in range(9)]
    text = "# a comment\n\n" + "\n".join(" ".join(r) + "   # row note" for r in rows)
    assert (parse_board(text) == puzzle).all()
    boxed = "+-------+-------+-------+\n" + "\n".join(
        "| " + " | ".join(" ".join(r[s:s + 3]) for s in (0, 3, 6)) + " |" for r in rows)
    assert (parse_board(boxed) == puzzle).all()


def test_kaggle_csv_with_quizzes_and_solutions_columns_parses(pair):
    puzzle, solution = pair
    zeros = PUZZLE.replace(".", "0")
    text = "quizzes,solutions\n" + f"{zeros},{SOLUTION}\n" * 4
    puzzles, solutions = parse_boards(text)
    assert puzzles.shape == (4, 81) and (puzzles == puzzle).all() and (solutions == solution).all()


def test_csv_with_extra_columns_and_quotes_parses(pair):
    puzzle, solution = pair
    text = f'id,puzzle,solution,clues\n1,"{PUZZLE}",{SOLUTION},30\n'
    puzzles, solutions = parse_boards(text)
    assert (puzzles[0] == puzzle).all() and (solutions[0] == solution).all()


def test_thousands_of_lines_parse_quickly():
    text = "\n".join([PUZZLE] * 20000)
    puzzles, _ = parse_boards(text)
    assert puzzles.shape == (20000, 81)


@pytest.mark.parametrize("text, message", [
    (PUZZLE[:80], "line 1: expected 81 cells for a puzzle or 9 for a grid row, found 80"),
    ("# c\n" + PUZZLE + "\n" + PUZZLE[:-1] + "x", "line 3: illegal character 'x' at r9c9"),
    (PUZZLE + "\n\n" + "5" + PUZZLE[1:4] + "5" + PUZZLE[5:], "line 3: r1c1 and r1c5 both hold 5"),
    ("..3....3." + "." * 72, "line 1: r1c3 and r1c8 both hold 3"),
    ("5" + "." * 26 + "5" + "." * 53, "line 1: r1c1 and r4c1 both hold 5"),
    ("5........\n" * 3, "line 1: grid ends after 3 of 9 rows"),
    ("é" + PUZZLE[1:], "illegal character 'é' at r1c1"),
    ("id,clues\n1,30", "line 1: CSV header has no 'puzzle' (or 'quizzes') column"),
    (f"puzzle,solution\n{PUZZLE}", "line 2: expected at least 2 CSV fields, found 1"),
    (f"puzzle,solution\n{PUZZLE},{PUZZLE}", "line 2: solution leaves r1c3 empty"),
    (f"puzzle,solution\n{PUZZLE},{SOLUTION[1::-1] + SOLUTION[2:]}",
     "line 2: solution: r1c1 and r9c1 both hold 3"),
    (f"puzzle,solution\n{PUZZLE},{SOLUTION[1:]}", "line 2: 'solution' has 80 characters"),
    ("puzzle\n", "line 1: CSV has a header but no puzzles"),
    ("# only a comment\n\n", "no puzzles found"),
    ("-\n------+-------+------\n", "no puzzles found"),            # separators alone
])
def test_bad_input_names_line_and_cells(text, message):
    with pytest.raises(PuzzleError) as err:
        parse_boards(text, source="in.txt")
    assert message in str(err.value)
    assert str(err.value).startswith("in.txt")


def test_solution_that_changes_a_given_is_refused():
    other = SOLUTION.translate(str.maketrans("56", "65"))   # relabelled: still a valid grid
    puzzle = "53" + "." * 79
    with pytest.raises(PuzzleError, match="solution has 6 at r1c1 where the puzzle gives 5"):
        parse_boards(f"puzzle,solution\n{puzzle},{other}")


def test_read_boards_refuses_bytes_that_are_not_utf8(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"\xff\xfe" + PUZZLE.encode())
    with pytest.raises(PuzzleError, match="bad.txt: not UTF-8"):
        read_boards(path)


def test_parse_board_wants_exactly_one_puzzle():
    with pytest.raises(PuzzleError, match="expected one puzzle, found 2"):
        parse_board(PUZZLE + "\n" + PUZZLE)


def test_is_valid_solution(pair):
    puzzle, solution = pair
    assert is_valid_solution(puzzle, solution)
    swapped = solution.copy()
    swapped[[0, 1]] = swapped[[1, 0]]                # breaks columns and the givens
    assert not is_valid_solution(puzzle, swapped)
    assert not is_valid_solution(np.zeros(81, np.int8), swapped)
    assert is_valid_solution(np.zeros(81, np.int8), solution)
    assert not is_valid_solution(puzzle, puzzle)     # incomplete
    assert not is_valid_solution(puzzle, solution[:80])


def test_candidates_mask_matches_the_rules_cell_by_cell(pair):
    puzzle, solution = pair
    mask = candidates_mask(np.stack([puzzle, solution]))
    assert mask.shape == (2, 81, 9) and mask.dtype == bool
    for i in range(81):
        peers = (ROW == ROW[i]) | (COL == COL[i]) | (BOX == BOX[i])
        expected = ({puzzle[i]} if puzzle[i] else set(range(1, 10)) - set(puzzle[peers].tolist()))
        assert set((np.flatnonzero(mask[0, i]) + 1).tolist()) == expected, i
    assert (mask[1].sum(axis=1) == 1).all()
    assert mask[0, np.arange(81), solution - 1].all()          # the solution is always allowed
    assert (candidates_mask(puzzle) == mask[0]).all()


def test_conflict_checks(pair):
    puzzle, solution = pair
    assert not has_conflict(np.stack([puzzle, solution])).any()
    bad = puzzle.copy()
    bad[2] = 5
    assert has_conflict(bad).tolist() == [True]
    assert find_conflict(bad) == (0, 2, 5)
    with pytest.raises(PuzzleError, match="r1c1 and r1c3 both hold 5"):
        check_board(bad)
    assert check_board(puzzle.astype(np.int64)).dtype == np.int8


def test_vectorised_conflict_check_matches_the_cell_by_cell_one():
    rng = np.random.default_rng(3)
    boards = rng.integers(1, 10, (3000, 81)).astype(np.int8)
    boards[rng.random(boards.shape) < rng.random((3000, 1)) ** 0.1] = 0   # mostly sparse
    expected = [find_conflict(b) is not None for b in boards]
    assert has_conflict(boards).tolist() == expected
    assert 300 < sum(expected) < 2700


def test_grid_marks_filled_cells(pair):
    puzzle, solution = pair
    marked = format_grid(solution, puzzle=puzzle).splitlines()
    assert marked[0].startswith("5  3  4*")
    assert len(marked) == 11
    colored = format_grid(solution, puzzle=puzzle, color=True)
    assert "\033[1m5\033[0m" in colored and "\033[36m4\033[0m" in colored


def test_json_describes_the_board(pair):
    puzzle, _ = pair
    assert format_json(puzzle).startswith('{"line": "53..7')
    described = board_to_dict(puzzle)
    assert described["givens"] == 30 and described["rows"][0] == [5, 3, 0, 0, 7, 0, 0, 0, 0]


def _mutate(text: str, rng: np.random.Generator) -> str:
    """One random edit: delete, insert, replace, duplicate or cut at a random place."""
    noise = ["\x00", "#", ",", '"', "\r", "\n", "|", "-", "0", "5", "é", "\u2028", "\ufeff",
             "\ud800", "１", " ", "\t", "puzzle", "quizzes,solutions\n", "." * 81, "9" * 9 + "\n"]
    k = int(rng.integers(0, len(text) + 1))
    edit = rng.integers(6)
    if edit == 0:
        return text[:k] + text[k + int(rng.integers(1, 10)):]
    if edit == 1:
        return text[:k] + str(rng.choice(noise)) + text[k:]
    if edit == 2:
        return text[:k] + chr(int(rng.integers(0, 0x3000))) + text[k + 1:]
    if edit == 3:
        return text[:k] + text[k:k + int(rng.integers(1, 200))] * int(rng.integers(2, 5)) + text[k:]
    if edit == 4:
        return text[:k]
    return text[:k] + text[k:].upper()


def _fuzz_texts(rng: np.random.Generator, count: int):
    """Random and mutated puzzle texts in every format, plus raw noise and huge lines."""
    seeds = [PUZZLE, "\n".join([PUZZLE, SOLUTION, PUZZLE.replace(".", "0")]),
             format_grid(parse_board(PUZZLE)), format_grid(parse_board(SOLUTION)),
             f"puzzle,solution\n{PUZZLE},{SOLUTION}\n{PUZZLE},{SOLUTION}",
             f'quizzes,solutions\n"{PUZZLE.replace(".", "0")}",{SOLUTION}',
             f"id,puzzle\n1,{PUZZLE}", "# comment\n\n" + PUZZLE + "  # note"]
    for k in range(count):
        kind = k % 10
        if kind == 0:
            yield bytes(rng.integers(0, 256, int(rng.integers(0, 300)), dtype=np.uint8)).decode(
                "utf-8", "replace" if k % 20 else "surrogateescape")
        elif kind == 1:
            yield "".join(rng.choice(list("123456789.0|-+ \n#,"), int(rng.integers(0, 400))))
        elif kind == 2:
            yield str(rng.choice(list("0123456789."))) * int(rng.integers(1, 200_000))
        else:
            text = str(rng.choice(seeds))
            for _ in range(int(rng.integers(1, 4))):
                text = _mutate(text, rng)
            yield text


def test_fuzzed_text_parses_to_valid_boards_or_raises_puzzle_error():
    rng = np.random.default_rng(1234)
    parsed = 0
    for text in _fuzz_texts(rng, 3000):
        try:
            puzzles, solutions = parse_boards(text, source="fuzz")
        except PuzzleError as err:
            assert str(err).startswith("fuzz")
            continue
        parsed += 1
        assert puzzles.dtype == np.int8 and puzzles.ndim == 2 and puzzles.shape[1] == 81
        assert ((puzzles >= 0) & (puzzles <= 9)).all() and not has_conflict(puzzles).any()
        if solutions is not None:
            assert all(is_valid_solution(p, s) for p, s in zip(puzzles, solutions))
    assert 100 < parsed < 2900                          # both outcomes really happen
