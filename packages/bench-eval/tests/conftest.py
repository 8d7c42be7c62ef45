"""Shared data lives in ../shared/data on the developers' machines; a user's clone skips those tests."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED.exists():
        pytest.skip(f"{SHARED} is absent (API-Bank / ACEBench data; see the README)")
    return SHARED
