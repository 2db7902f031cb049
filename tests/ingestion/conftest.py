"""Every ingestion test loads a landing folder of its own into a warehouse file of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.landing_factory import write_minimal_landing


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """The minimal valid landing folder (tests/landing_factory.py); a test breaks one thing in it."""
    return write_minimal_landing(tmp_path / "landing")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"
