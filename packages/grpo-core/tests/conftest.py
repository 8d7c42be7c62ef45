"""Tiny, local fixtures (see rollout_vllm.testing)."""

from __future__ import annotations

import socket

import pytest
from rollout_vllm.testing import byte_tokenizer, tiny_llama
from toolcall_reward import RewardResult, register_reward


@register_reward("test_odd_length")
def odd_length(text, record, cfg):
    """A reward that varies with the sample, so tiny random models (and untrained ones on short budgets) get
    informative groups."""
    return RewardResult(float(len(text) % 2), {}, "ok")


@pytest.fixture(scope="session")
def tokenizer():
    return byte_tokenizer()


@pytest.fixture
def tiny(tokenizer):
    """A fresh tiny model per test (training mutates it)."""
    return tiny_llama(tokenizer)


@pytest.fixture
def free_port():
    """A function returning a TCP port no one listens on now, picked by the kernel: a rendezvous port for torchrun
    that cannot collide with a fixed one still held by an earlier launch or by another job."""

    def pick() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    return pick
