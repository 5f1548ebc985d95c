"""Shared set-up of the Python tests: where the binary and the fixtures are."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def binary() -> str:
    """The zoom-licenses binary under test (`make` builds it first)."""
    path = os.environ.get("ZOOM_LICENSES_BIN", str(ROOT / "target/debug/zoom-licenses"))
    assert Path(path).exists(), f"build the binary first: {path}"
    return path


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """The recorded fixture sets."""
    return ROOT / "fixtures"
