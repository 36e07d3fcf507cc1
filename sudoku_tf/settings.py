"""Decoding settings a model file carries: how `solve`, `eval` and `report` use the model
when the command line does not say.

A model is measured with some test-time choices (say, its answer averaged over four
Sudoku symmetries); saving them in the file, under the meta key "decode", makes them the
model's defaults, so a user gets the measured behaviour without knowing the flags.
A flag given on the command line always wins.
"""

from __future__ import annotations

from numbers import Integral, Real

from .decode import Refining, SymmetryAveraged

# every setting, with the value used when neither the command line nor the model gives one
BUILT_IN = {"symmetries": 1, "passes": None, "halt_after": None, "confident": None,
            "threshold": None, "trajectories": 1, "wave": None,
            "search_symmetries": None, "search_threshold": None}
_COUNTS = ("symmetries", "passes", "halt_after", "trajectories", "wave",
           "search_symmetries")                                             # integers 1..MOST
MOST = 1000            # passes or symmetries per call, far beyond any use (training draws up
                       # to 128 passes): each is a forward pass, so 10,000 would run for hours
_PROBABILITIES = ("confident", "threshold", "search_threshold")            # in (0, 1]
# the settings search may have its own of: search's name for each
SEARCH_OWN = {"symmetries": "search_symmetries", "threshold": "search_threshold"}


def check(settings: dict) -> dict:
    """The settings if every name is known and every value in range; ValueError naming the
    first that is not. None means "not set"."""
    for name, value in settings.items():
        if name not in BUILT_IN:
            raise ValueError(f"unknown decoding setting {name!r} (known: {', '.join(BUILT_IN)})")
        if value is None:
            continue
        if name in _COUNTS and not (isinstance(value, Integral) and not isinstance(value, bool)
                                    and 1 <= value <= MOST):
            raise ValueError(f"decoding setting {name} must be an integer in 1-{MOST}, "
                             f"got {value!r}")
        if name in _PROBABILITIES and not (isinstance(value, Real) and not isinstance(value, bool)
                                           and 0 < value <= 1):
            raise ValueError(f"decoding setting {name} must lie in (0, 1], got {value!r}")
    return settings


def resolve(given: dict, carried: dict) -> dict:
    """Every setting: the command line's where given, else the model's, else the built-in one."""
    return {name: next((v for v in (given.get(name), carried.get(name)) if v is not None),
                       default) for name, default in BUILT_IN.items()}


def decoding_network(model, resolve_from: dict, given: dict):
    """The model as decoders see it: its passes per call (with halting, if asked), averaged
    over symmetries, each setting from `given` where set, else from `resolve_from` (the
    settings the model carries, or none). Returns (network, the Refining that counts
    passes, the settings used)."""
    used = resolve(given, resolve_from)
    refining = Refining(model, used["passes"], used["halt_after"], used["confident"])
    used["passes"] = refining.passes
    return _averaged(refining, used["symmetries"]), refining, used


def search_network(refining, resolve_from: dict, given: dict):
    """The same refining network as search sees it: over search's own symmetries, with
    its own threshold, where set (see `for_search`). Returns (network, the settings
    search uses: `symmetries` and `threshold` are its own)."""
    used = resolve(for_search(given), for_search(resolve_from))
    used["passes"] = refining.passes
    return _averaged(refining, used["symmetries"]), used


def for_search(settings: dict) -> dict:
    """settings with search's own symmetries and threshold in place of the general ones,
    where set. Resolved after this, a flag still beats a setting the model carries."""
    return {**settings, **{name: settings[own] for name, own in SEARCH_OWN.items()
                           if settings.get(own) is not None}}


def _averaged(refining, k: int):
    """The refining network averaged over k symmetries (itself for one)."""
    return SymmetryAveraged(refining, k) if k > 1 else refining
