"""Decoding strategies with stand-in networks that know, ignore or fight the answer, and
the guided search underneath them."""

import numpy as np
import pytest

from sudoku_tf.board import EMPTY, candidates_mask, has_conflict, is_valid_solution
from sudoku_tf.decode import (Refining, SymmetryAveraged, auto, decode, guided, iterative,
                              oneshot, trajectory_symmetries)
from sudoku_tf.formatting import fill_trace
from sudoku_tf.generator import apply_symmetries
from sudoku_tf import guided_search as guided_search_module
from sudoku_tf.guided_search import guided_search
from sudoku_tf.solver import count_solutions, solve

from standin import StandIn, wrong_given

def test_oneshot_and_iterative_solve_with_a_network_that_knows_the_answer(puzzles):
    boards, solutions = puzzles
    net = StandIn(solutions)
    assert oneshot(net, boards).solved.all()
    for per_step in (1, 4):
        result = iterative(net, boards, per_step=per_step)
        assert result.solved.all() and (result.boards == solutions).all()
        empties = (boards == EMPTY).sum(1)
        assert (result.calls == -(-empties // per_step)).all()
        assert (result.confidence[boards == EMPTY] == 1).all()


@pytest.mark.parametrize("per_step", [2, 5, 81])
def test_iterative_with_several_cells_per_pass_never_breaks_a_rule(puzzles, per_step):
    boards, solutions = puzzles
    rng = np.random.default_rng(per_step)

    class Noise:
        def predict(self, tokens):
            return rng.dirichlet(np.ones(9), size=(len(tokens), 81))

    result = iterative(Noise(), boards, per_step=per_step)
    assert not has_conflict(result.boards).any()
    assert ((boards == EMPTY) | (result.boards == boards)).all()
    filled = (result.boards != EMPTY) & (boards == EMPTY)
    assert ((result.order >= 0) == filled).all()
    per_pass = [np.bincount(o[o >= 0]) for o in result.order]
    assert max(c.max() for c in per_pass if c.size) <= per_step


def test_iterative_fills_the_most_confident_legal_cells_first():
    board = np.zeros(81, np.int8)
    probs = np.full((1, 81, 9), 0.01)
    probs[0, 40, 4] = 0.9                                   # r5c5 = 5, surest
    probs[0, 41, 4] = 0.8                                   # r5c6 = 5 would clash with it
    probs[0, 0, 0] = 0.7                                    # r1c1 = 1, legal

    class Fixed:
        def predict(self, tokens):
            return np.repeat(probs, len(tokens), 0)

    result = iterative(Fixed(), board, per_step=2)
    assert result.boards[0, 40] == 5 and result.boards[0, 0] == 1 and result.boards[0, 41] != 5
    assert result.order[0, 40] == result.order[0, 0] == 0


def test_a_confidence_threshold_fills_every_sure_legal_cell_in_one_call():
    board = np.zeros(81, np.int8)
    probs = np.full((1, 81, 9), 0.01)
    probs[0, 40, 4] = 0.95                                  # r5c5 = 5
    probs[0, 41, 4] = 0.94                                  # r5c6 = 5: sure, but forbidden then
    probs[0, 0, 0] = 0.93                                   # r1c1 = 1
    probs[0, 1, 1] = 0.5                                    # r1c2 = 2: below the threshold

    class Fixed:
        def predict(self, tokens):
            return np.repeat(probs, len(tokens), 0)

    result = iterative(Fixed(), board, threshold=0.9)
    first = np.flatnonzero(result.order[0] == 0)
    assert sorted(first) == [0, 40] and result.boards[0, 41] != 5
    result = iterative(Fixed(), board, threshold=0.99)      # nothing that sure: one per call
    assert (result.order[0] == 0).sum() == 1


def test_a_threshold_needs_far_fewer_calls_with_a_sure_network(puzzles):
    boards, solutions = puzzles
    result = iterative(StandIn(solutions), boards, threshold=0.9)
    assert result.solved.all() and (result.calls == 1).all()


class Settling:
    """A stand-in recurrent network: pass k predicts digit min(k, 3) everywhere with
    probability 0.5, then 0.99 from pass 6 on. It counts the passes it runs."""

    def __init__(self):
        self.passes_run = 0

    def config(self):
        return {"n_loops": 2}

    def predict(self, tokens, passes=None, state=None):
        done = np.zeros(len(tokens), int) if state is None else state
        k = done + (passes or 2)
        self.passes_run += int((k - done).sum())
        self.last_state = k
        probs = np.full((len(tokens), 81, 9), 0.5 / 8)
        probs[np.arange(len(tokens)), :, np.minimum(k, 3) - 1] = np.where(k >= 6, 0.99, 0.5)[:, None]
        return probs


def test_refining_runs_the_chosen_passes_and_halts_boards_whose_answer_settled():
    boards = np.zeros((3, 81), np.int8)
    fixed = Refining(Settling(), passes=8)
    assert fixed.predict(boards).max() == pytest.approx(0.99) and fixed.mean_passes == 8
    assert Refining(Settling()).passes == 2                 # the model's own default
    net = Settling()
    halting = Refining(net, passes=8, halt_after=2)         # digit 3 from pass 3: stop at 5
    probs = halting.predict(boards)
    assert probs[0, 0].argmax() == 2 and halting.mean_passes == 5 and net.passes_run == 15
    sure = Refining(Settling(), passes=10, confident=0.98)  # 0.99 from pass 6
    assert sure.predict(boards).max() == pytest.approx(0.99) and sure.mean_passes == 6
    with pytest.raises(ValueError, match="passes"):
        Refining(Settling(), passes=0)


class SureAndWrong(StandIn):
    """Puts all its mass on a wrong digit of the solution agreeing with the board."""

    def predict(self, tokens):
        probs = super().predict(tokens)
        return np.roll(probs, 1, axis=-1)


@pytest.mark.parametrize("threshold", [None, 0.9])
@pytest.mark.parametrize("mode", ["true", "uniform", "wrong"])
def test_search_finds_the_exact_solvers_solution_whatever_the_network_says(puzzles, mode,
                                                                          threshold):
    boards, solutions = puzzles
    net = StandIn(solutions, mode)
    result = guided(net, boards, threshold=threshold)
    assert result.solved.all() and not result.no_solution.any()
    assert (result.boards == solutions).all()
    assert net.boards_seen == result.calls.sum()
    assert (result.calls <= 32).all()
    if mode == "true":
        assert (result.backtracks == 0).all()
    if mode == "wrong":
        assert result.backtracks.sum() > 0


def test_search_with_a_threshold_takes_every_sure_cell_in_one_guess(puzzles):
    boards, solutions = puzzles
    one_at_a_time = guided(StandIn(solutions), boards)
    together = guided(StandIn(solutions), boards, threshold=0.9)
    assert (together.boards == solutions).all() and (together.backtracks == 0).all()
    assert (together.calls == 1).all() and one_at_a_time.calls[:2].min() > 1   # HARD needs more
    assert ((together.order >= 0) == (boards == EMPTY)).all()
    # a network sure of wrong digits: the joint guess fails, and the cell-by-cell search
    # under it still finds the solution
    fooled = guided(SureAndWrong(solutions), boards, threshold=0.9)
    assert fooled.solved.all() and (fooled.boards == solutions).all()
    assert fooled.backtracks.sum() > 0


class Leaning(StandIn):
    """The known solution's digit at 0.6 in every cell, the other eight at 0.05: no cell
    is 0.9 sure until the rules leave it two candidates."""

    def predict(self, tokens):
        return 0.05 + 0.55 * super().predict(tokens)


def test_search_branches_on_its_parents_prediction_while_a_cell_there_is_sure(puzzles,
                                                                           monkeypatch):
    boards, solutions = puzzles
    reusing = guided(Leaning(solutions), boards, threshold=0.9)
    monkeypatch.setattr(guided_search_module, "_still_sure",
                        lambda frames, threshold: np.zeros(len(frames), bool))
    asking = guided(Leaning(solutions), boards, threshold=0.9)          # a call at every node
    for result in (reusing, asking):
        assert result.solved.all() and (result.boards == solutions).all()
    assert (reusing.calls <= asking.calls).all() and reusing.calls.sum() < asking.calls.sum()
    # without a threshold every node still asks
    assert guided(Leaning(solutions), boards).calls.sum() >= asking.calls.sum()


def test_search_reports_puzzles_without_a_solution(puzzles):
    boards, solutions = puzzles
    # a row missing only 9 whose last cell sees a 9 in its column: propagation alone sees it
    dead_end = np.zeros(81, np.int8)
    dead_end[:8], dead_end[17] = np.arange(1, 9), 9
    broken = [wrong_given(p, s) for p, s in zip(boards, solutions)]
    unsolvable = np.array([dead_end, *broken])
    assert all(count_solutions(b) == 0 for b in unsolvable)
    for threshold in (None, 0.5):
        result = guided(StandIn(solutions, "uniform"), unsolvable, threshold=threshold)
        assert result.no_solution.all() and not result.solved.any()
        assert (result.order == -1).all()
    fooled = guided(SureAndWrong(solutions), unsolvable, threshold=0.5)
    assert fooled.no_solution.all()


def test_search_with_a_small_call_cap_still_solves_and_respects_it(puzzles):
    boards, solutions = puzzles
    for cap in (1, 2):
        result = guided(StandIn(solutions, "wrong"), boards, max_calls=cap)
        assert result.solved.all() and (result.boards == solutions).all()
        assert (result.calls <= cap).all()


def test_search_in_a_batch_matches_search_one_puzzle_at_a_time(puzzles):
    boards, solutions = puzzles
    net = StandIn(solutions, "uniform")
    batch = guided(net, boards)
    for k in range(0, len(boards), 5):
        alone = guided(net, boards[k])
        assert (alone.boards[0] == batch.boards[k]).all()
        assert alone.calls[0] == batch.calls[k] and alone.backtracks[0] == batch.backtracks[k]


def test_search_finds_a_valid_solution_of_a_puzzle_with_many():
    board = np.zeros(81, np.int8)
    board[:9] = np.arange(1, 10)
    result = guided(StandIn(np.zeros((1, 81), np.int8), "uniform"), board)
    assert result.solved[0] and is_valid_solution(board, result.boards[0])


def test_guided_search_traces_the_path_to_the_solution(puzzles):
    boards, solutions = puzzles
    result = guided(StandIn(solutions), boards)
    trace = fill_trace(result, 0)
    assert len(trace) == (boards[0] == EMPTY).sum()
    assert [t["step"] for t in trace] == sorted(t["step"] for t in trace)
    assert all(t["confidence"] == 1.0 for t in trace)
    out = guided_search(StandIn(solutions, "uniform").predict, boards)
    assert ((out.order >= 0) == (boards == EMPTY)).all()


def test_decode_refuses_an_unknown_strategy(puzzles):
    with pytest.raises(ValueError, match="unknown strategy 'guess'"):
        decode(StandIn(puzzles[1]), puzzles[0], strategy="guess")


def test_decode_takes_its_options_by_keyword_and_defaults_to_auto(puzzles):
    boards, solutions = puzzles
    with pytest.raises(TypeError):
        decode(StandIn(solutions), boards, "search")
    result = decode(StandIn(solutions), boards)
    assert result.solved.all() and result.network_solved.all()         # auto's own fields


def test_search_and_the_strategies_return_one_result_type(puzzles):
    boards, solutions = puzzles
    unsolvable = wrong_given(boards[0], solutions[0])[None]
    out = guided_search(StandIn(solutions, "uniform").predict, np.vstack([boards[:1], unsolvable]))
    assert type(out) is type(decode(StandIn(solutions), boards[:1], strategy="oneshot"))
    assert list(out.solved) == [True, False] and list(out.no_solution) == [False, True]


@pytest.mark.parametrize("strategy", ["oneshot", "iterative", "search"])
def test_progress_hears_of_every_puzzle_once(puzzles, strategy):
    boards, solutions = puzzles
    done = []
    decode(StandIn(solutions, "uniform"), boards, strategy=strategy, per_step=3,
           progress=done.append)
    assert sum(done) == len(boards) and min(done) >= 0


class Solver:
    """A network that knows Sudoku: all mass on each cell's digit in the board's own
    solution, whatever symmetry the board is under."""

    def predict(self, tokens):
        return np.eye(9)[np.array([solve(t) for t in np.atleast_2d(tokens)]) - 1]


class LikesOnes:
    """A network that always says 1, wherever it looks."""

    def predict(self, tokens):
        return np.broadcast_to(np.eye(9)[0], (*np.shape(np.atleast_2d(tokens)), 9))


def test_symmetry_averaging_maps_every_variant_back_to_the_board(puzzles):
    boards, solutions = puzzles[0][1:6], puzzles[1][1:6]
    probs = SymmetryAveraged(Solver(), k=6, seed=1).predict(boards)
    np.testing.assert_allclose(probs, np.eye(9)[solutions - 1])


def test_symmetry_averaging_evens_out_a_network_that_ignores_the_rules(puzzles):
    boards = puzzles[0][:4]
    assert (SymmetryAveraged(LikesOnes(), k=1).predict(boards) == LikesOnes().predict(boards)).all()
    averaged = SymmetryAveraged(LikesOnes(), k=9, seed=0).predict(boards)
    np.testing.assert_allclose(averaged.sum(-1), 1)
    assert averaged[..., 0].max() < 0.5                     # relabelled digits spread the vote
    same = SymmetryAveraged(LikesOnes(), k=9, seed=0).predict(boards)
    assert (same == averaged).all()                          # the variants are fixed by the seed
    with pytest.raises(ValueError, match="at least 1"):
        SymmetryAveraged(LikesOnes(), k=0)


def test_symmetry_averaging_sends_the_variants_as_one_stacked_batch(puzzles):
    class Recording(Solver):
        def __init__(self):
            self.rows = []

        def predict(self, tokens):
            self.rows.append(len(tokens))
            return super().predict(tokens)

    network = Recording()
    SymmetryAveraged(network, k=8, seed=2).predict(puzzles[0][:1])
    assert network.rows == [8]                           # one call: a batch the cores can split
    network.rows.clear()
    SymmetryAveraged(network, k=3, seed=2).predict(np.tile(puzzles[0][:1], (40, 1)))
    assert network.rows == [40, 40, 40]                  # large batches stay in chunks of B


def test_refining_pass_by_pass_equals_the_model_running_all_passes_at_once():
    from sudoku_tf.train import TrainConfig, build_model
    model = build_model(TrainConfig(d_model=16, n_heads=2, d_ff=32, n_blocks=1, passes=2,
                                    feedback=True, seed=3))
    boards = np.zeros((3, 81), np.int8)
    boards[:, :9] = np.arange(1, 10)
    one_at_a_time = Refining(model, passes=5, halt_after=99).predict(boards)
    np.testing.assert_allclose(one_at_a_time, model.predict(boards, passes=5), rtol=1e-5, atol=1e-6)


class SlipsLate:
    """Knows the answer until `late` cells are left empty, then puts all its mass on a
    legal wrong digit of the first cell that has one."""

    def __init__(self, solutions, late):
        self.knows, self.late = StandIn(solutions), late

    def predict(self, tokens):
        tokens = np.atleast_2d(tokens)
        probs = self.knows.predict(tokens)
        for board, p in zip(tokens, probs):
            if (board == EMPTY).sum() > self.late:
                continue
            legal = candidates_mask(board[None])[0] & (board == EMPTY)[:, None] & (p < 0.5)
            if legal.any():
                cell, digit = np.argwhere(legal)[0]
                p[:] = 0
                p[cell, digit] = 1
        return probs


def test_auto_leaves_what_the_network_solves_alone_to_it(puzzles):
    boards, solutions = puzzles
    result = auto(StandIn(solutions), boards)
    assert result.solved.all() and result.network_solved.all()
    assert (result.network_placed == (boards == EMPTY)).all()
    assert (result.calls == iterative(StandIn(solutions), boards).calls).all()


def test_auto_finishes_with_search_from_the_networks_last_sound_board(puzzles):
    boards, solutions = puzzles
    result = auto(SlipsLate(solutions, late=15), boards)
    assert result.solved.all() and (result.boards == solutions).all()
    assert not result.network_solved.any()                 # every board went wrong at the end
    sound = (boards == EMPTY).sum(1) - 15
    assert (result.network_placed.sum(1) == sound).all()   # exactly the sound fills are kept
    assert ((result.order >= 0) == (boards == EMPTY)).all()
    last_network_step = np.where(result.network_placed, result.order, -1).max(1)
    first_search_step = np.where(~result.network_placed & (boards == EMPTY), result.order, 99).min(1)
    assert (first_search_step > last_network_step).all()    # the search's steps come after


def test_auto_restarts_from_the_puzzle_when_the_network_was_wrong_early(puzzles):
    boards, solutions = puzzles
    result = auto(StandIn(solutions, "wrong"), boards)
    assert result.solved.all() and (result.boards == solutions).all()
    assert not result.network_solved.any()
    assert ((result.order >= 0) == (boards == EMPTY)).all()
    unsolvable = wrong_given(boards[3], solutions[3])[None]
    none = auto(StandIn(solutions, "uniform"), unsolvable)
    assert none.no_solution[0] and not none.solved[0] and not none.network_placed.any()


def test_auto_searches_with_its_own_network_and_threshold_when_given(puzzles):
    boards, solutions = puzzles
    slips, searcher = SlipsLate(solutions, late=15), StandIn(solutions)
    result = auto(slips, boards, search=(searcher, 0.9))
    assert result.solved.all() and (result.boards == solutions).all()
    alone = iterative(SlipsLate(solutions, late=15), boards)
    assert slips.knows.boards_seen == alone.calls.sum()          # iterative's calls only
    # a sure searcher at a threshold takes each board's sound rest in one joint guess
    assert searcher.boards_seen == len(boards)
    assert (result.calls == alone.calls + 1).all()


def _in_trajectory(boards, k, K=4):
    """boards as trajectory k of K sees them."""
    index, digits = trajectory_symmetries(K)
    n = len(boards)
    return apply_symmetries(boards, np.repeat(index[k:k + 1], n, 0), np.repeat(digits[k:k + 1], n, 0))


def test_trajectory_symmetries_are_fixed_and_start_with_the_board_itself():
    index, digits = trajectory_symmetries(5)
    assert index.shape == (5, 81) and digits.shape == (5, 10)
    assert (index[0] == np.arange(81)).all() and (digits[0] == np.arange(10)).all()
    assert len({tuple(i) for i in index}) == 5
    again = trajectory_symmetries(8)
    assert (again[0][:5] == index).all() and (again[1][:5] == digits).all()   # a prefix of K


def test_a_puzzle_stops_at_the_first_trajectory_the_rules_accept(puzzles):
    """The network knows puzzle 0 as it stands and puzzle 1 only as trajectory 2 sees it;
    shown anything else, it is uniform and gets stuck. One trajectory solves puzzle 0
    alone; four, one at a time, solve both, puzzle 1 in its own frame after three."""
    boards, solutions = puzzles[0][:2], puzzles[1][:2]
    known = np.stack([solutions[0], _in_trajectory(solutions[1:2], 2)[0]])
    single = iterative(StandIn(known, "true"), boards)
    assert single.solved.tolist() == [True, False]
    network = StandIn(known, "true")
    out = iterative(network, boards, trajectories=4, wave=1)
    assert out.solved.all()
    assert (out.boards == solutions).all()
    assert out.trajectories.tolist() == [1, 3]
    assert ((out.order >= 0) == (boards == EMPTY)).all()     # fill steps map back to the cells


def test_trajectories_in_one_wave_stop_together_once_one_is_solved(puzzles):
    """All four at once: the puzzle's solved trajectory ends the three others as soon as
    it is solved, so the network is called no more often than the winner alone needs."""
    boards, solutions = puzzles[0][1:2], puzzles[1][1:2]
    known = _in_trajectory(solutions, 2)

    class Counting(StandIn):
        calls = 0

        def predict(self, tokens):
            self.calls += 1                                 # one network call a step here
            return super().predict(tokens)

    # the winner fills every cell in its first call; the others, uniform, one a call
    network = Counting(known, "true")
    out = iterative(network, boards, trajectories=4, threshold=0.5)
    assert out.solved.all() and (out.boards == solutions).all()
    assert out.trajectories.tolist() == [4]
    alone = StandIn(known, "true")
    iterative(alone, _in_trajectory(boards, 2), threshold=0.5)
    assert out.calls[0] == alone.boards_seen                 # the winner's own calls
    assert network.calls == alone.boards_seen                # no sibling ran on after it


def test_an_unsolved_puzzle_keeps_the_trajectory_that_filled_most(puzzles):
    boards = puzzles[0][:2]
    out = iterative(StandIn(puzzles[1][2:4], "true"), boards, trajectories=3, wave=2)
    assert not out.solved.any() and out.trajectories.tolist() == [3, 3]
    each = [iterative(StandIn(puzzles[1][2:4], "true"), _in_trajectory(boards, k, 3))
            for k in range(3)]
    most = np.max([(e.boards != EMPTY).sum(1) for e in each], 0)
    assert ((out.boards != EMPTY).sum(1) == most).all()
    assert not has_conflict(out.boards).any()
    assert ((out.boards == boards) | (boards == EMPTY)).all()
