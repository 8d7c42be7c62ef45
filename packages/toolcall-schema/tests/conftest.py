from pathlib import Path

import pytest
from hypothesis import settings

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout; tests using it skip on a user's clone, which has none."""
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED} (only present in the project's workspace)")
    return SHARED


# Property tests run on a loaded 2-core CI machine: no per-example deadline.
settings.register_profile("toolcall", deadline=None)
settings.load_profile("toolcall")
