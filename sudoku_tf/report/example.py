"""The example puzzle's sections of the attention report: which puzzle to show, the
network's answer after each pass, and the puzzle decoded one cell per network call."""

from __future__ import annotations

from html import escape

import numpy as np

from ..board import EMPTY, N_CELLS, cell_name, format_line
from ..decode import iterative
from ..formatting import fill_trace
from .charts import belief_board_svg, confidence_svg, decode_board_svg

BATCH_SIZE = 32            # puzzles per forward pass when choosing the example


def beliefs_by_pass(model, puzzles: np.ndarray, passes: int):
    """The network's answer to puzzles (N, 81) after each of `passes` passes, each going on
    from the state the one before left: yields per pass the boards of best digits (N, 81),
    givens kept, and every cell's top probability (N, 81)."""
    empty = puzzles == EMPTY
    state = None
    for _ in range(passes):
        probs = model.predict(puzzles, passes=1, state=state)                # (N, 81, 9)
        state = model.last_state
        yield np.where(empty, probs.argmax(-1) + 1, puzzles), probs.max(-1)


def pick_example(model, puzzles: np.ndarray, solutions: np.ndarray, passes: int) -> int:
    """The puzzle whose answer the passes improve most: the index of the one with the most
    empty cells wrong after the first pass and right after the last; ties go to the most
    wrong after the first pass, then to the earliest. puzzles, solutions: (N, 81); a
    solution row of zeros (no solution) is never picked unless all are."""
    keys = []
    for start in range(0, len(puzzles), BATCH_SIZE):
        part, truth = puzzles[start:start + BATCH_SIZE], solutions[start:start + BATCH_SIZE]
        boards = [board for board, _ in beliefs_by_pass(model, part, passes)]
        wrong_first = (boards[0] != truth) & (part == EMPTY)                # (n, 81)
        fixed = (wrong_first & (boards[-1] == truth)).sum(1)
        solvable = (truth != EMPTY).all(1)
        keys.append(np.where(solvable, fixed * (N_CELLS + 1) + wrong_first.sum(1), -1))
    return int(np.concatenate(keys).argmax())                              # the first of ties


def pass_by_pass(model, puzzle: np.ndarray, solution: np.ndarray | None,
                  passes: int) -> tuple[list[dict], str]:
    """The puzzle as given, run one pass at a time over the carried state: per pass its JSON
    record (the best digit of each empty cell; the share right, the mean top probability
    and the digits changed since the pass before, all over the empty cells) and its board."""
    empty = puzzle == EMPTY
    records, figures, before = [], [], None
    for k, (boards, tops) in enumerate(beliefs_by_pass(model, puzzle[None], passes), 1):
        board, top = boards[0], tops[0]                                     # (81,)
        right = None if solution is None else (board == solution)[empty]
        record = {"pass": k, "board": format_line(board),
                  "accuracy": _mean(right), "mean_confidence": _mean(top[empty]),
                  "changed": None if before is None else int((board != before).sum())}
        records.append(record)
        before = board
        figures.append(f"<figure>{belief_board_svg(puzzle, board, top, solution, f'pass {k}')}"
                       f"<figcaption>{_pass_caption(record, right)}</figcaption></figure>")
    check = ("a wrong digit is shown in red" if solution is not None
             else "the puzzle has no solution to check the digits against")
    html = f"""<section id="passes"><h2>Pass by pass</h2>
<p>The puzzle as given, before any cell is filled, run one pass of the weight-tied
blocks at a time, each pass going on from the state the one before left. Each empty cell
shows the network's most probable digit after that pass, tinted by its probability (red
low, green high; the small number is that probability in percent); {check}.</p>
<div class="passes">{"".join(figures)}</div></section>"""
    return records, html


def _mean(values: np.ndarray | None) -> float | None:
    """The mean rounded for the JSON, or None when there is nothing to average."""
    return None if values is None or not values.size else round(float(values.mean()), 4)


def _pass_caption(record: dict, right: np.ndarray | None) -> str:
    """'pass 2: 31 of 45 empty cells right (69%), mean top probability 0.62, 5 digits changed'."""
    parts = []
    if right is not None and right.size:
        parts.append(f"{int(right.sum())} of {right.size} empty cells right "
                     f"({100 * record['accuracy']:.0f}%)")
    if record["mean_confidence"] is not None:
        parts.append(f"mean top probability {record['mean_confidence']:.2f}")
    if record["changed"] is not None:
        parts.append(f"{plural(record['changed'], 'digit')} changed")
    return f"<b>pass {record['pass']}</b>" + (": " + ", ".join(parts) if parts else "")


def decoding(model, puzzle: np.ndarray, solution: np.ndarray | None) -> tuple[dict, str]:
    """The puzzle decoded one cell per network call: its JSON record and section."""
    result = iterative(model, puzzle[None], per_step=1)
    board, order, confidence = result.boards[0], result.order[0], result.confidence[0]
    cells = {cell_name(i): i for i in range(81)}
    steps = [{**t, "correct": None if solution is None else bool(board[cells[t["cell"]]]
                                                                  == solution[cells[t["cell"]]])}
             for t in fill_trace(result, 0)]
    wrong = np.array([s["correct"] is False for s in steps], bool)
    record = {"puzzle": format_line(puzzle), "board": format_line(board),
              "solved": bool(result.solved[0]), "steps": steps}
    n_empty = int((puzzle == EMPTY).sum())
    outcome = ("solved" if record["solved"] else
               f"not solved: {len(steps)} of {n_empty} empty cells filled, {int(wrong.sum())} wrong"
               if solution is not None else f"not solved: {len(steps)} of {n_empty} cells filled")
    rows = "".join(f"<tr><td>{s['step'] + 1}</td><td>{s['cell']}</td><td>{s['digit']}</td>"
                   f"<td class=\"num\">{s['confidence']:.3f}</td>"
                   f"<td>{'' if s['correct'] is None else '✓' if s['correct'] else '✗'}</td></tr>"
                   for s in steps)
    html = f"""<section id="decoding"><h2>Decoding one puzzle</h2>
<p>Iterative decoding of <code class="line">{record['puzzle']}</code>: each network call fills the one empty
cell whose best legal digit is most probable. Filled cells show their step and are tinted
by the model's probability for the digit (red low, green high); a wrong digit is struck in
red. Result: <b>{escape(outcome)}</b>.</p>
<div class="decode"><figure>{decode_board_svg(puzzle, board, order, confidence, solution)}
<figcaption><label>step <input type="range" id="step" min="0" max="{len(steps)}"
value="{len(steps)}"></label> <button type="button" id="play">▶ play</button>
<span id="step-note"></span></figcaption></figure>
<figure>{confidence_svg(np.array([s['confidence'] for s in steps]), wrong)}
<figcaption>the probability of each placed digit, in order</figcaption></figure></div>
<details><summary>every step</summary><table class="steps"><thead><tr><th>step</th><th>cell</th>
<th>digit</th><th>probability</th><th>correct</th></tr></thead><tbody>{rows}</tbody></table>
</details></section>"""
    return record, html


def plural(n: int, noun: str) -> str:
    """'1 digit', '3 digits'."""
    return f"{n} {noun}" + ("s" if n != 1 else "")
