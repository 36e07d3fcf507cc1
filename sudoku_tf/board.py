"""Sudoku boards: parse puzzle text, format boards, and check them against the rules.

Boards are np.int8 arrays of 81 cells, row-major, 0 = empty. No solving happens here.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np

N_CELLS = 81
EMPTY = 0
DIGITS = np.arange(1, 10, dtype=np.int8)

_CELLS = np.arange(N_CELLS)
ROW = _CELLS // 9
COL = _CELLS % 9
BOX = (ROW // 3) * 3 + COL // 3
# the 27 units: 9 rows, 9 columns, 9 boxes, each as its 9 cell indices
UNITS = np.concatenate([np.argsort(k, kind="stable").reshape(9, 9) for k in (ROW, COL, BOX)])
# for each cell, the indices of its row, column and box in UNITS
CELL_UNITS = np.stack([ROW, 9 + COL, 18 + BOX], axis=1)
# how cell j relates to cell i, for attention's relation bias: RELATIONS[i, j] is one of
# RELATION_NAMES (same box means the box and neither the row nor the column)
RELATION_NAMES = ("same cell", "row", "column", "box", "row in box", "column in box", "none")
_same_row, _same_col = ROW[:, None] == ROW, COL[:, None] == COL
_same_box = BOX[:, None] == BOX
RELATIONS = np.select(
    [_same_row & _same_col, _same_row & ~_same_box, _same_col & ~_same_box,
     _same_box & ~_same_row & ~_same_col, _same_row, _same_col],
    [0, 1, 2, 3, 4, 5], default=6)                                     # (81, 81)
for _a in (ROW, COL, BOX, UNITS, CELL_UNITS, RELATIONS):
    _a.flags.writeable = False

# for has_conflict: digit d as 16 ** (d - 1) (sums stay exact in float64), the
# (81, 27) cell-in-unit matrix, and a mask of hexadecimal digits above 1
_NIBBLE = np.array([0.0] + [16.0 ** (d - 1) for d in range(1, 10)])
_MEMBERSHIP = (UNITS[None, :, :] == _CELLS[:, None, None]).any(axis=2).astype(np.float64)
_COUNT_ABOVE_1 = int("E" * 9, 16)
_CHUNK = 1 << 14                 # boards per step of the conflict check
_EMPTY_CHARS = ".0"
_PUZZLE_COLUMNS = ("puzzle", "puzzles", "quizzes", "quiz")
_SOLUTION_COLUMNS = ("solution", "solutions")
# grid decoration removed before counting cells: box separators and white space
_DECORATION = {ord(ch): None for ch in "|+- \t\r\f\v"}
_HAS_DECORATION = re.compile(r"[|+\- \t\r\f\v]").search
# byte value -> digit, -1 for characters that are not cells
_CELL_VALUE = np.full(256, -1, dtype=np.int8)
_CELL_VALUE[[ord(ch) for ch in _EMPTY_CHARS]] = EMPTY
_CELL_VALUE[[ord(ch) for ch in "123456789"]] = DIGITS


class PuzzleError(ValueError):
    """A puzzle text that breaks the format or the rules; names its file and line."""

    def __init__(self, message: str, line: int | None = None, source: str | None = None):
        self.detail, self.line, self.source = message, line, source
        where = ", ".join(p for p in (source and str(source), line and f"line {line}") if p)
        super().__init__(f"{where}: {message}" if where else message)


def cell_name(i: int) -> str:
    """The cell's name in row/column notation, 1-based: cell 11 is 'r2c3'."""
    return f"r{i // 9 + 1}c{i % 9 + 1}"


# ---------------------------------------------------------------- parsing

def parse_boards(text: str, source: str | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Parse every puzzle in `text`: 81-character lines, 9x9 grids, or CSV with a header.

    Blank lines and `#` comments are skipped. Returns puzzles (N, 81) int8 and, for a
    CSV with a solution column, solutions (N, 81) int8 (else None). Raises PuzzleError
    naming the line (and `source`) of the first bad puzzle.
    """
    lines = [(n, s) for n, raw in enumerate(text.splitlines(), 1)
             if (s := raw.split("#", 1)[0].strip())]
    if not lines:
        raise PuzzleError("no puzzles found", source=source)
    first = lines[0][1]
    if "," in first or first.strip('"').lower() in _PUZZLE_COLUMNS:
        puzzle_cells, solution_cells, starts = _split_csv(lines, source)
    else:
        puzzle_cells, starts = _split_text(lines, source)
        solution_cells = None
    if not puzzle_cells:                        # separator lines only, or a header alone
        raise PuzzleError("no puzzles found", source=source)
    puzzles = _to_boards(puzzle_cells, starts, source, "")
    solutions = None if solution_cells is None else _to_boards(solution_cells, starts, source,
                                                                 "solution: ")
    check_boards(puzzles, solutions, source, starts)
    return puzzles, solutions


def parse_board(text: str) -> np.ndarray:
    """Parse exactly one puzzle (an 81-character string or a 9x9 grid): (81,) int8."""
    puzzles, _ = parse_boards(text)
    if len(puzzles) != 1:
        raise PuzzleError(f"expected one puzzle, found {len(puzzles)}")
    return puzzles[0]


def read_boards(path) -> tuple[np.ndarray, np.ndarray | None]:
    """Read and parse a puzzle file (any format `parse_boards` knows)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise PuzzleError(f"not UTF-8 text (byte {err.start})", source=str(path)) from None
    return parse_boards(text, source=str(path))


def _split_text(lines, source):
    """Cells of each puzzle from 81-cell lines and 9-row grids, with each one's first line."""
    cells, starts, grid = [], [], []
    for n, content in lines:
        row = content if len(content) == 81 and not _HAS_DECORATION(content) else (
            content.translate(_DECORATION))
        if not row:
            continue                      # a separator line such as ------+-------+------
        if len(row) == 9:
            grid.append((n, row))
            if len(grid) == 9:
                cells.append("".join(r for _, r in grid))
                starts.append(grid[0][0])
                grid = []
        elif len(row) == 81 and not grid:
            cells.append(row)
            starts.append(n)
        else:
            where = f" (row {len(grid) + 1} of the grid from line {grid[0][0]})" if grid else ""
            raise PuzzleError(f"expected 81 cells for a puzzle or 9 for a grid row, "
                              f"found {len(row)}{where}", n, source)
    if grid:
        raise PuzzleError(f"grid ends after {len(grid)} of 9 rows", grid[0][0], source)
    return cells, starts


def _split_csv(lines, source):
    """Puzzle cells, solution cells (or None) and line numbers of a CSV with a header."""
    header_line, header = lines[0]
    names = [name.strip().strip('"').lower() for name in _csv_fields(header, header_line, source)]
    p_col = next((k for k, name in enumerate(names) if name in _PUZZLE_COLUMNS), None)
    s_col = next((k for k, name in enumerate(names) if name in _SOLUTION_COLUMNS), None)
    if p_col is None:
        raise PuzzleError("CSV header has no 'puzzle' (or 'quizzes') column", header_line, source)
    n_needed = max(p_col, -1 if s_col is None else s_col) + 1
    puzzles, solutions, starts = [], [], []
    for n, content in lines[1:]:
        fields = _csv_fields(content, n, source)
        if len(fields) < n_needed:
            raise PuzzleError(f"expected at least {n_needed} CSV fields, found {len(fields)}",
                              n, source)
        for column, out in ((p_col, puzzles), (s_col, solutions)):
            if column is not None:
                cells = fields[column].strip()
                if len(cells) != N_CELLS:
                    raise PuzzleError(f"'{names[column]}' has {len(cells)} characters, "
                                      f"expected 81", n, source)
                out.append(cells)
        starts.append(n)
    if not puzzles:
        raise PuzzleError("CSV has a header but no puzzles", header_line, source)
    return puzzles, (solutions if s_col is not None else None), starts


def _csv_fields(line: str, n: int, source) -> list[str]:
    """One CSV record; plain splitting unless the line uses quotes."""
    if '"' not in line:
        return line.split(",")
    try:
        return next(csv.reader([line]))
    except csv.Error as err:
        raise PuzzleError(f"bad CSV: {err}", n, source) from None


def _to_boards(cells: list[str], starts: list[int], source, what: str) -> np.ndarray:
    """Vectorised decoding of 81-character cell strings to (N, 81) int8."""
    raw = "".join(cells).encode("ascii", "replace")  # one byte per character
    boards = _CELL_VALUE[np.frombuffer(raw, np.uint8)].reshape(len(cells), N_CELLS)
    bad = np.flatnonzero((boards < 0).any(axis=1))
    if bad.size:
        k = bad[0]
        i = int(np.argmax(boards[k] < 0))
        raise PuzzleError(f"{what}illegal character {cells[k][i]!r} at {cell_name(i)}",
                          starts[k], source)
    return boards


def check_boards(puzzles: np.ndarray, solutions: np.ndarray | None = None,
                 source: str | None = None, lines: list[int] | None = None) -> None:
    """Raise PuzzleError for the first board breaking the rules, or a solution that is
    incomplete or changes a given. Board k is named by `lines[k]`, else as 'board k'.
    """
    def fail(k: int, message: str):
        if lines is None:
            raise PuzzleError(f"board {k}: {message}", source=source)
        raise PuzzleError(message, lines[k], source)

    for what, boards in (("", puzzles), ("solution: ", solutions)):
        if boards is not None:
            for k in np.flatnonzero(has_conflict(boards))[:1]:
                fail(k, what + _describe_conflict(find_conflict(boards[k])))
    if solutions is None:
        return
    incomplete = (solutions == EMPTY).any(axis=1)
    changed = (puzzles != EMPTY) & (puzzles != solutions)
    for k in np.flatnonzero(incomplete | changed.any(axis=1))[:1]:
        if incomplete[k]:
            fail(k, f"solution leaves {cell_name(int(np.argmax(solutions[k] == EMPTY)))} empty")
        i = int(np.argmax(changed[k]))
        fail(k, f"solution has {solutions[k, i]} at {cell_name(i)} "
                f"where the puzzle gives {puzzles[k, i]}")


# ---------------------------------------------------------------- rules

def _one_hot(boards: np.ndarray) -> np.ndarray:
    """(B, 81) -> (B, 81, 9) bool: cell holds digit d + 1."""
    return np.asarray(boards)[..., None] == DIGITS


def has_conflict(boards: np.ndarray) -> np.ndarray:
    """(B, 81) -> (B,) bool: some digit appears twice in a row, column or box.

    Digit d counts as 16 ** (d - 1), so one matrix product sums each unit into a
    count per hexadecimal digit; a unit repeats a digit when some count reaches 2.
    """
    boards = np.atleast_2d(boards)
    out = np.zeros(len(boards), dtype=bool)
    for start in range(0, len(boards), _CHUNK):         # bounded memory for huge files
        sums = (_NIBBLE[boards[start:start + _CHUNK]] @ _MEMBERSHIP).astype(np.int64)
        out[start:start + _CHUNK] = (sums & _COUNT_ABOVE_1).any(axis=1)   # (b, 27) -> (b,)
    return out


def candidates_mask(boards: np.ndarray) -> np.ndarray:
    """(B, 81) -> (B, 81, 9) bool: digits d + 1 each cell may hold under the rules.

    An empty cell allows the digits absent from its row, column and box; a filled cell
    allows exactly its own digit. Works on one board (81,) too, giving (81, 9).
    """
    boards = np.asarray(boards)
    one_hot = _one_hot(np.atleast_2d(boards))                   # (B, 81, 9)
    in_unit = one_hot[:, UNITS].any(axis=2)                      # (B, 27, 9)
    seen = in_unit[:, CELL_UNITS].any(axis=2)                    # (B, 81, 9)
    empty = (np.atleast_2d(boards) == EMPTY)[..., None]
    mask = np.where(empty, ~seen, one_hot)
    return mask if boards.ndim == 2 else mask[0]


def find_conflict(board: np.ndarray) -> tuple[int, int, int] | None:
    """The first two cells holding the same digit in one unit, as (i, j, digit), or None."""
    board = np.asarray(board)
    pairs = []
    for unit in UNITS:
        values = board[unit]
        for a in range(9):
            if values[a]:
                b = np.flatnonzero(values[a + 1:] == values[a])
                if b.size:
                    pairs.append((int(unit[a]), int(unit[a + 1 + b[0]]), int(values[a])))
    return min(pairs) if pairs else None


def _describe_conflict(conflict) -> str:
    i, j, digit = conflict
    return f"{cell_name(i)} and {cell_name(j)} both hold {digit}"


def check_board(board: np.ndarray) -> np.ndarray:
    """`board` as (81,) int8 if it is a legal, possibly partial, board; else PuzzleError."""
    board = np.asarray(board)
    if board.shape != (N_CELLS,):
        raise PuzzleError(f"a board has 81 cells, got shape {board.shape}")
    if ((board < 0) | (board > 9)).any():
        raise PuzzleError("cells hold 0 (empty) or a digit 1-9")
    board = board.astype(np.int8)
    conflict = find_conflict(board)
    if conflict:
        raise PuzzleError(_describe_conflict(conflict))
    return board


def is_valid_solution(puzzle: np.ndarray, solution: np.ndarray) -> bool:
    """True if `solution` is a complete, rule-abiding grid that keeps every given of `puzzle`."""
    puzzle, solution = np.asarray(puzzle), np.asarray(solution)
    if puzzle.shape != (N_CELLS,) or solution.shape != (N_CELLS,):
        return False
    given = puzzle != EMPTY
    return bool(((solution >= 1) & (solution <= 9)).all()
                and (solution[given] == puzzle[given]).all()
                and not has_conflict(solution)[0])


def is_solved(puzzles: np.ndarray, boards: np.ndarray) -> np.ndarray:
    """(B,) bool: each board is full, breaks no rule and keeps every given of its puzzle."""
    keeps = ((puzzles == EMPTY) | (boards == puzzles)).all(1)
    return (boards != EMPTY).all(1) & keeps & ~has_conflict(boards)


def count_givens(boards: np.ndarray) -> np.ndarray:
    """Number of filled cells: (81,) -> int, (B, 81) -> (B,)."""
    return (np.asarray(boards) != EMPTY).sum(axis=-1)


# ---------------------------------------------------------------- formatting

def format_lines(boards: np.ndarray, empty: str = ".") -> list[str]:
    """Each of the (B, 81) boards as one 81-character line, `empty` for empty cells."""
    chars = np.frombuffer((empty + "123456789").encode("ascii"), np.uint8)
    text = chars[np.asarray(boards, dtype=np.intp).reshape(-1, N_CELLS)].tobytes().decode("ascii")
    return [text[k:k + N_CELLS] for k in range(0, len(text), N_CELLS)]


def format_line(board: np.ndarray, empty: str = ".") -> str:
    """The board as one 81-character line, `empty` for empty cells."""
    return format_lines(board, empty)[0]


def format_grid(board: np.ndarray, puzzle: np.ndarray | None = None, color: bool = False,
                searched: np.ndarray | None = None) -> str:
    """The board as a 9x9 grid with box separators, `.` for empty cells.

    With `puzzle`, cells filled beyond its givens are marked: a `*` after the digit, or,
    with `color`, givens in bold and filled digits in cyan (ANSI escapes). Filled cells
    that `searched` (81,) bool flags get a `+` (magenta) instead.
    """
    values = np.asarray(board).tolist()
    filled = [False] * N_CELLS if puzzle is None else (np.asarray(puzzle) == EMPTY).tolist()
    by_search = [False] * N_CELLS if searched is None else np.asarray(searched).tolist()
    marked = puzzle is not None and not color

    def cell(i: int) -> str:
        text = str(values[i]) if values[i] else "."
        if puzzle is not None and values[i] and color:
            style = "1" if not filled[i] else "35" if by_search[i] else "36"
            text = f"\033[{style}m{text}\033[0m"
        if marked:
            text += ("+" if by_search[i] else "*") if filled[i] and values[i] else " "
        return text

    box_width = 8 if marked else 5                     # three cells and their spaces
    rule = "+".join("-" * (box_width + pad) for pad in (1, 2, 1))
    rows = []
    for r in range(9):
        if r and r % 3 == 0:
            rows.append(rule)
        boxes = [" ".join(cell(r * 9 + c) for c in range(s, s + 3)) for s in (0, 3, 6)]
        rows.append(" | ".join(boxes).rstrip())
    return "\n".join(rows)


def board_to_dict(board: np.ndarray) -> dict:
    """A JSON-ready description: the 81-character line, the rows, the number of givens."""
    board = np.asarray(board)
    return {"line": format_line(board), "rows": board.reshape(9, 9).tolist(),
            "givens": int(count_givens(board))}


def format_json(board: np.ndarray) -> str:
    """The board as one line of JSON (see `board_to_dict`)."""
    return json.dumps(board_to_dict(board))
