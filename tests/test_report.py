"""`sudoku-tf report` end to end with tiny untrained models: well-formed self-contained
HTML with the stated SVGs in the stated order, the JSON beside it, the example puzzle and
its pass-by-pass numbers against `predict`, refusals, and a render in headless Chromium."""

import json
import runpy
import tomllib
from fnmatch import fnmatch
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sudoku_tf.board import EMPTY, RELATION_NAMES, format_line, format_lines, parse_board
from sudoku_tf.cli import cli
from sudoku_tf.nn import NetworkN, load, save
from sudoku_tf.report import build_report, parse_cell
from sudoku_tf.report.analysis import CLASSES
from sudoku_tf.report.example import pick_example
from sudoku_tf.train import TrainConfig, build_model

ROOT = Path(__file__).resolve().parent.parent
PUZZLE, SOLUTION = (ROOT / "data" / "example.csv").read_text().splitlines()[1].split(",")
SHAPE = dict(d_model=16, n_heads=2, d_ff=32, n_blocks=2, passes=2)   # 4 applications x 2 heads
VOID = {"meta", "input", "br", "img", "hr", "link", "source", "wbr"}
SVG_LEAVES = {"rect", "path", "circle", "image", "polyline", "line"}


def run(*args, input=None):
    return CliRunner().invoke(cli, ["report", *map(str, args)], input=input)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A tiny model, six puzzles (the example with more and more cells revealed), and the
    report written once for them."""
    folder = tmp_path_factory.mktemp("report")
    save(build_model(TrainConfig(**SHAPE)), folder / "tiny.npz")
    puzzle, solution = parse_board(PUZZLE), parse_board(SOLUTION)
    boards = [np.where(np.arange(81) < 9 * k, solution, puzzle) for k in range(6)]
    (folder / "six.txt").write_text("\n".join(format_lines(np.array(boards))) + "\n")
    result = run("--model", folder / "tiny.npz", "--puzzles", folder / "six.txt",
                 "-o", folder / "r.html", "--json", folder / "r.json")
    assert result.exit_code == 0, result.stderr
    return folder, result


class Checker(HTMLParser):
    """Checks that every tag closes in order; collects tags with their attributes."""

    def __init__(self):
        super().__init__()
        self.stack, self.tags, self.around = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.around.append([(t, a) for t, a in self.stack])
        if tag not in VOID:
            self.stack.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        assert tag in VOID | SVG_LEAVES, f"<{tag}/> is not a void element"
        self.tags.append((tag, dict(attrs)))
        self.around.append([(t, a) for t, a in self.stack])

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1][0] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()


def parse(html: str) -> Checker:
    checker = Checker()
    checker.feed(html)
    checker.close()
    assert checker.stack == [], f"unclosed: {checker.stack}"
    return checker


def test_report_is_well_formed_html_with_one_head_svg_per_head(files):
    folder, _ = files
    html = (folder / "r.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    tags = parse(html).tags
    svgs = [attrs["class"] for tag, attrs in tags if tag == "svg"]
    # one heatmap+overlay per head (4 block applications x 2 heads), one bar chart per
    # block application, the label overview, a board per pass, the decoded board and its
    # confidence curve
    assert sorted(svgs) == sorted(["head-map"] * 8 + ["block-bars"] * 4 + ["belief-board"] * 2
                                  + ["label-grid", "decode-board", "confidence"])
    cards = [attrs["id"] for tag, attrs in tags if tag == "article"]
    assert cards == [f"p{p}.b{b}.h{h}" for p in (1, 2) for b in (1, 2) for h in (1, 2)]


def test_report_leads_with_the_example_and_folds_the_heads(files):
    folder, _ = files
    checker = parse((folder / "r.html").read_text())
    sections = [attrs.get("id", attrs.get("class")) for tag, attrs in checker.tags
                if tag == "section"]
    assert sections == ["lead", "passes", "decoding", "overview", "table", "blocks", "heads"]
    folds = [[attrs for tag, attrs in around if tag == "details"]
             for (tag, _), around in zip(checker.tags, checker.around) if tag in ("article", "table")]
    # the table and each head card sit in a closed fold: one per block application for the
    # cards; the decoding section's table of steps too
    assert len(folds) == 8 + 2 and all(len(f) == 1 and "open" not in f[0] for f in folds)
    layers = [f[0] for f in folds if f[0].get("class") == "layer"]
    assert len(layers) == 8 and len({id(f) for f in layers}) == 4
    summaries = (folder / "r.html").read_text().split('<details class="layer"><summary>')[1:]
    assert [s.split(" <span")[0] for s in summaries] == [
        f"pass {p} · block {b}" for p in (1, 2) for b in (1, 2)]


def test_report_inlines_its_stylesheet_and_script_from_the_package(files):
    folder, _ = files
    html = (folder / "r.html").read_text()
    package = ROOT / "sudoku_tf" / "report"
    for name, tag in [("page.css", "style"), ("page.js", "script")]:
        text = (package / name).read_text()
        assert f"<{tag}>{text}</{tag}>" in html and len(text) > 200
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["setuptools"]["package-data"]["sudoku_tf.report"]
    assert all(any(fnmatch(name, glob) for glob in shipped) for name in ("page.css", "page.js"))


def test_report_fetches_nothing(files):
    folder, _ = files
    html = (folder / "r.html").read_text()
    assert "http://" not in html and "https://" not in html and "src=" not in html
    links = [attrs.get("href") for tag, attrs in parse(html).tags if "href" in attrs]
    assert links and all(h.startswith(("#", "data:image/png;base64,")) for h in links)
    assert not any(tag in ("link", "iframe", "object", "embed") for tag, _ in parse(html).tags)


def test_untrained_model_is_all_mixed_in_json_and_table(files):
    folder, result = files
    data = json.loads((folder / "r.json").read_text())
    assert data["puzzles"]["count"] == 6 and len(data["heads"]) == 8
    assert data["labels"] == {"self": 0, "row": 0, "column": 0, "box": 0, "mixed": 8}
    head = data["heads"][-1]
    assert head["name"] == "p2.b2.h2" and set(head["scores"]) == {"self", "row", "column", "box",
                                                                  "other"}
    assert sum(head["classes"].values()) == pytest.approx(1.0, abs=1e-3)
    example = data["example"]
    assert example["puzzle"] == (folder / "six.txt").read_text().split()[example["index"]]
    assert all(s["correct"] == (s["digit"] == int(SOLUTION[parse_cell(s["cell"])]))
               for s in example["steps"])
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["head", "label", "self"] and len(lines) == 10
    assert "wrote" in result.stderr and str(folder / "r.json") in result.stderr


def fresh_passes(model, puzzle: str, solution: str, passes: int) -> list[dict]:
    """What `predict` with 1, 2, ... passes, each run from scratch, says of the puzzle's
    empty cells: the board of best digits, the share right, the mean top probability and
    the digits changed from one pass count to the next."""
    puzzle, solution = parse_board(puzzle), parse_board(solution)
    empty = puzzle == EMPTY
    out, before = [], None
    for k in range(1, passes + 1):
        probs = model.predict(puzzle, passes=k)                             # (81, 9)
        board = np.where(empty, probs.argmax(-1) + 1, puzzle)
        out.append({"pass": k, "board": format_line(board),
                    "accuracy": (board == solution)[empty].mean(),
                    "mean_confidence": probs.max(-1)[empty].mean(),
                    "changed": None if before is None else int((board != before).sum())})
        before = board
    return out


def assert_same_passes(got: list[dict], expected: list[dict]):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert {**g, "accuracy": None, "mean_confidence": None} == \
            {**e, "accuracy": None, "mean_confidence": None}
        assert g["accuracy"] == pytest.approx(e["accuracy"], abs=1e-4)
        assert g["mean_confidence"] == pytest.approx(e["mean_confidence"], abs=1e-4)


def test_example_is_the_puzzle_the_passes_improve_most(files):
    folder, _ = files
    data = json.loads((folder / "r.json").read_text())
    model, puzzles = load(folder / "tiny.npz"), (folder / "six.txt").read_text().split()
    keys = []
    for puzzle in puzzles:
        passes = fresh_passes(model, puzzle, SOLUTION, 2)
        first, last = (np.array(list(p["board"])) for p in (passes[0], passes[-1]))
        empty, truth = np.array(list(puzzle)) == ".", np.array(list(SOLUTION))
        wrong = empty & (first != truth)
        keys.append(((wrong & (last == truth)).sum(), wrong.sum()))
    assert data["example"]["index"] == keys.index(max(keys))


def test_pass_by_pass_matches_predict_with_that_many_passes(files):
    folder, _ = files
    data = json.loads((folder / "r.json").read_text())
    puzzle = data["example"]["puzzle"]
    expected = fresh_passes(load(folder / "tiny.npz"), puzzle, SOLUTION, 2)
    assert_same_passes(data["pass_by_pass"], expected)
    captions = (folder / "r.html").read_text().split("<figcaption><b>pass ")[1:]
    n_empty = puzzle.count(".")
    assert len(captions) == len(expected)
    for caption, e in zip(captions, expected):
        assert caption.startswith(f"{e['pass']}</b>: {round(e['accuracy'] * n_empty)} of "
                                  f"{n_empty} empty cells right")
        assert f"mean top probability {e['mean_confidence']:.2f}" in caption
    lead = (folder / "r.html").read_text().split('<section id="passes">')[0]
    assert (f"puzzle {data['example']['index'] + 1} of the 6, the one the passes improve most: "
            f"pass 1 gets {captions[0].split('</b>: ')[1].split(' of ')[0]} of its {n_empty}") in lead


class Scripted:
    """A stand-in model that has, after its k-th pass, the first right[k - 1][i] empty cells
    of puzzle i right (in reading order) and the rest wrong, each with probability 1."""

    def __init__(self, puzzles, solutions, right):
        self.rows = {p.tobytes(): i for i, p in enumerate(puzzles)}
        self.solutions, self.right = solutions, right

    def predict(self, puzzles, passes=1, state=None):
        done = (state or 0) + passes
        self.last_state = done
        probs = np.zeros(puzzles.shape + (9,))
        for b, puzzle in enumerate(puzzles):
            i = self.rows[puzzle.tobytes()]
            digits = self.solutions[i].copy() if self.solutions[i].all() else np.ones(81, int)
            wrong = np.flatnonzero(puzzle == EMPTY)[self.right[done - 1][i]:]
            digits[wrong] = digits[wrong] % 9 + 1
            probs[b, np.arange(81), digits - 1] = 1
        return probs


@pytest.mark.parametrize("unsolvable, right, expected", [
    # most fixed by the second pass (20, three times), then most wrong after the first
    ((), [[5, 5, 2, 0, 5], [10, 25, 22, 20, 5]], 3),
    ((3,), [[5, 5, 2, 0, 5], [10, 25, 22, 20, 5]], 2),     # a puzzle without a solution is skipped
    ((), [[4, 4, 4, 4, 4], [9, 9, 9, 9, 9]], 0),           # a full tie: the earliest
    ((0, 1, 2, 3, 4), [[4, 3, 2, 1, 0], [9, 9, 9, 9, 9]], 0),
])
def test_pick_example_counts_cells_the_later_passes_put_right(monkeypatch, unsolvable, right,
                                                              expected):
    monkeypatch.setattr("sudoku_tf.report.example.BATCH_SIZE", 2)     # three batches
    puzzle, solution = parse_board(PUZZLE), parse_board(SOLUTION)
    reveal = np.flatnonzero(puzzle == EMPTY)[:5]
    puzzles = np.array([np.where(np.arange(81) == cell, solution, puzzle) for cell in reveal])
    solutions = np.array([np.zeros(81) if i in unsolvable else solution for i in range(5)],
                         np.int8)
    model = Scripted(puzzles, solutions, right)
    assert pick_example(model, puzzles, solutions, passes=2) == expected


def test_pass_by_pass_follows_passes_and_feeds_back_probabilities():
    model = build_model(TrainConfig(**{**SHAPE, "feedback": True}))
    result = build_report(model, parse_board(PUZZLE), parse_board(SOLUTION)[None], passes=4)
    assert_same_passes(result.data["pass_by_pass"], fresh_passes(model, PUZZLE, SOLUTION, 4))
    assert any(p["changed"] for p in result.data["pass_by_pass"][1:])   # the passes differ
    boards = [attrs for tag, attrs in parse(result.html).tags
              if tag == "svg" and attrs["class"] == "belief-board"]
    assert [b["aria-label"] for b in boards] == ["pass 1", "pass 2", "pass 3", "pass 4"]


def test_a_model_with_relation_biases_gets_a_table_of_them_per_block():
    model = build_model(TrainConfig(**{**SHAPE, "relations": True}))
    model.blocks[1].attn.relation_bias.value[0, RELATION_NAMES.index("row in box")] = 1.25
    result = build_report(model, parse_board(PUZZLE), parse_board(SOLUTION)[None])
    assert result.data["relation_bias"]["blocks"][1][0][2] == 1.25     # row+box, 3rd class
    checker = parse(result.html)
    sections = [attrs.get("id", attrs.get("class")) for tag, attrs in checker.tags
                if tag == "section"]
    assert sections.index("biases") == sections.index("overview") + 1
    tables = result.html.split('<table class="biases">')[1:]
    assert len(tables) == 2 and '<a href="#biases">' in result.html
    header, *rows = tables[1].split("</tr>")[:3]
    assert [cell.split("</span>")[-1] for cell in header.split("</th>")[1:-1]] == list(CLASSES)
    assert [cell.split(">")[-1] for cell in rows[0].split("</td>")[1:-1]] == \
        ["+0.00", "+0.00", "+1.25", "+0.00", "+0.00", "+0.00", "+0.00"]


def test_a_model_without_relation_biases_shows_none(files):
    folder, _ = files
    assert "relation_bias" not in json.loads((folder / "r.json").read_text())
    html = (folder / "r.html").read_text()
    assert 'id="biases"' not in html and "#biases" not in html


def test_puzzles_without_a_solution_give_the_first_as_the_example_unchecked():
    model = build_model(TrainConfig(**SHAPE))
    clash = parse_board(PUZZLE)
    clash[[0, 1]] = 5                                                 # two 5s in row 1
    puzzles = np.array([clash, np.roll(clash, 9)])
    result = build_report(model, puzzles)
    assert result.data["example"]["index"] == 0
    assert {p["accuracy"] for p in result.data["pass_by_pass"]} == {None}
    assert "puzzle 1 of the 2: none has a solution to check the passes against." in result.html


def test_json_to_stdout_and_refusal_to_overwrite(files, tmp_path):
    folder, _ = files
    args = ["--model", folder / "tiny.npz", "--puzzles", folder / "six.txt", "--limit", 2]
    refused = run(*args, "-o", folder / "r.html")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == f"Error: {folder / 'r.html'} exists; pass --force to replace it"
    out = tmp_path / "new.html"
    result = run(*args, "-o", out, "--json", "-", "--cell", "r1c9")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["puzzles"]["count"] == 2 and data["query_cell"] == "r1c9" and out.is_file()
    assert run(*args, "-o", out, "--force").exit_code == 0


def test_bad_inputs_exit_2_with_one_line(files, tmp_path):
    folder, _ = files
    save(NetworkN([2, 3, 1], seed=0), tmp_path / "xor.npz")
    puzzles = ["--puzzles", folder / "six.txt", "-o", tmp_path / "x.html"]
    for args, message in [
        (["--model", tmp_path / "xor.npz", *puzzles], "not a Sudoku model"),
        (["--model", tmp_path / "missing.npz", *puzzles], "no such model file"),
        (["--model", folder / "tiny.npz", "--cell", "r10c1", *puzzles], "a cell is written r1c1"),
        (["--model", folder / "tiny.npz", "--puzzles", tmp_path / "none.txt", "-o",
          tmp_path / "x.html"], "no such file"),
    ]:
        result = run(*args)
        assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
        assert message in result.stderr
    assert not (tmp_path / "x.html").exists()


# headless Chromium: skipped where the `chromium` package is not installed

SCREENSHOT = runpy.run_path(str(ROOT / "scripts" / "screenshot_report.py"))
needs_chromium = pytest.mark.skipif(SCREENSHOT["find_chromium"]() is None,
                                    reason="chromium is not installed")


@needs_chromium
def test_report_renders_in_chromium_without_console_errors(files):
    folder, _ = files
    dom, messages = SCREENSHOT["render"](folder / "r.html")
    assert messages == []
    assert dom.count("<svg") == 17
    assert '<span id="step-note">step ' in dom          # the script ran and named the last step


def test_screenshot_script_refuses_to_replace_a_png_without_force(files, tmp_path, capsys):
    folder, _ = files
    png = tmp_path / "shot.png"
    png.write_bytes(b"old")
    with pytest.raises(SystemExit) as stop:
        SCREENSHOT["main"]([str(folder / "r.html"), "-o", str(png)])
    assert stop.value.code == 2 and png.read_bytes() == b"old"
    assert "shot.png exists; pass --force to replace it" in capsys.readouterr().err


@needs_chromium
def test_screenshot_script_writes_a_png(files, tmp_path, capsys):
    folder, _ = files
    png = tmp_path / "shot.png"
    assert SCREENSHOT["main"]([str(folder / "r.html"), "-o", str(png), "--height", "600"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and list(tmp_path.iterdir()) == [png]
    assert SCREENSHOT["main"]([str(folder / "r.html"), "-o", str(png), "--height", "300",
                               "--force"]) == 0
    assert SCREENSHOT["main"]([str(folder / "r.html"), "--check"]) == 0
    assert "0 console messages" in capsys.readouterr().out
