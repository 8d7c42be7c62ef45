"""Tiny, local fixtures (see rollout_vllm.testing)."""

from __future__ import annotations

import pytest
from rollout_vllm.testing import byte_tokenizer, tiny_llama


@pytest.fixture(scope="session")
def tokenizer():
    return byte_tokenizer()


@pytest.fixture
def tiny(tokenizer):
    """A fresh tiny model per test (training mutates it)."""
    return tiny_llama(tokenizer)
