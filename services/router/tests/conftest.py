"""Fixtures for the router's unit tests: the real Kota Kediri routing catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from suara_router.adapters.catalogue_files import load_catalogue
from suara_router.domain.routing import Catalogue

# services/router/tests/conftest.py -> the repository root is three folders up.
DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "kota-kediri"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue(DATA_DIR)
