"""sudoku-tf: a from-scratch NumPy neural-network library and a Transformer that solves Sudoku."""

__version__ = "0.1.0"
