"""The documentation says what the code does: the model card's and README's claims about
the shipped model, the recipe files and the generated results tables are compared here
with the model file, `TrainConfig` and models/results.csv, so a change to one that the
other does not follow fails."""

import dataclasses
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sudoku_tf.models import load_model
from sudoku_tf.nn import load_checkpoint
from sudoku_tf.train import TrainConfig

ROOT = Path(__file__).resolve().parent.parent
CARD = (ROOT / "models" / "README.md").read_text()
README = (ROOT / "README.md").read_text()
DOCS = [ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "models" / "README.md",
        *sorted((ROOT / "docs").glob("*.md"))]


def _model_card_script():
    spec = importlib.util.spec_from_file_location("model_card", ROOT / "scripts" / "model_card.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shipped():
    network, meta, _ = load_checkpoint(ROOT / "models" / "default.npz")
    return network, meta, load_model().settings


def test_generated_tables_match_results_csv():
    card = _model_card_script()
    rows = card.read_rows()
    assert card.stale_documents(rows) == []
    # the check can fail: one changed measurement makes the card's table stale
    row = next(r for r in rows if f"table: sets {r['model']} " in CARD
               and (r["run"], r["set"], r["subset"]) == ("iterative-default", "23-27", ""))
    changed = [dict(r, solve_rate="0.5", stderr="0.01") if r is row else r for r in rows]
    assert ROOT / "models" / "README.md" in card.stale_documents(changed)


def test_results_csv_has_one_row_per_measurement():
    rows = _model_card_script().read_rows()
    keys = [(r["model"], r["run"], r["set"], r["subset"], r["passes"]) for r in rows]
    assert len(keys) == len(set(keys))


def test_card_and_readme_state_the_settings_the_model_carries(shipped):
    _, _, settings = shipped
    for text in (CARD, README):
        stated = re.search(r'^(\{"symmetries".*\})$', text, re.M)
        assert stated, "the settings line (sudoku-tf defaults' output) is missing"
        assert json.loads(stated.group(1)) == settings


def test_card_states_the_architecture_and_size(shipped):
    network, _, _ = shipped
    args = network.config()
    stated = re.search(r"`NetworkTransformer\(([^)]*)\)`:\s*([\d,]+) parameters", CARD)
    for name, value in re.findall(r"(\w+)=([\w.]+)", stated.group(1)):
        if name == "positions":
            continue                         # stored as the index table, named in prose
        assert str(args[name]) == value, name
    sizes = {int(n.replace(",", "")) for n in re.findall(r"([\d,]{5,})[- ]parameter", CARD)}
    assert sizes == {network.n_params()}


def test_the_recipe_the_card_names_trained_the_shipped_model(shipped):
    _, meta, _ = shipped
    recipe = re.search(r"Recipe file: `(configs/[\w-]+\.json)`", CARD).group(1)
    stored = {**meta["train"]["config"], "out": "x.npz"}
    written = {**json.loads((ROOT / recipe).read_text()), "out": "x.npz"}
    assert TrainConfig.from_json(written) == TrainConfig.from_json(stored)


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.json")), ids=lambda p: p.name)
def test_every_recipe_is_a_train_config(path):
    settings = json.loads(path.read_text())
    assert set(settings) <= {f.name for f in dataclasses.fields(TrainConfig)}
    TrainConfig.from_json(settings)                      # validates itself


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_files(doc):
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text()):
        if "://" not in target:
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"


def test_readme_counts_the_slow_tests():
    stated = re.search(r"(\w+) tests? carr(?:y|ies) the `slow` marker", README, re.I)
    words = "zero one two three four five six seven eight nine ten eleven twelve".split()
    word = stated.group(1).lower()
    count = words.index(word) if word in words else int(word)
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-o", "addopts=",
               "-m", "slow", "-p", "no:cacheprovider", str(ROOT / "tests")]
    collected = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert collected.returncode == 0, collected.stdout[-2000:]
    assert count == len([line for line in collected.stdout.splitlines() if "::" in line])


def test_readme_numbers_outside_its_table_come_from_it(shipped):
    network, _, _ = shipped
    card = _model_card_script()
    generated = "".join(m.group(4) for m in card.MARKER.finditer(README))
    prose = card.MARKER.sub("", README)
    quoted = re.findall(r"\d+\.\d ± \d+\.\d %", prose)
    assert quoted and all(q in generated for q in quoted)
    sizes = {int(n.replace(",", "")) for n in re.findall(r"([\d,]+) parameters", prose)}
    assert sizes == {network.n_params()}
