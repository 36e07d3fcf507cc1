"""sudoku-tf: a from-scratch NumPy neural-network library and a Transformer that solves Sudoku.

    from sudoku_tf import solve
    print(solve("53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79"))

`Solver(model=None)` solves many puzzles with one model (None: the shipped one), as
`sudoku-tf solve` does; `load_model(path)` reads a model file with its decoding settings.
"""

__version__ = "0.1.0"          # first: modules the imports below reach may read it

from .api import Solution, Solver, solve
from .models import load_model

__all__ = ["Solution", "Solver", "load_model", "solve", "__version__"]
