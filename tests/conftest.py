"""Fixtures shared by several test files."""

import pytest

from standin import make_puzzles


@pytest.fixture(scope="session")
def puzzles():
    """Unique puzzles from few givens to many (the first two hard), their solutions."""
    return make_puzzles()
