"""The multi-turn loop and the HF backend on tiny local models."""

from __future__ import annotations

import json

import pytest
import torch
from rollout_vllm.core import SamplingConfig, StepOutput
from rollout_vllm.engine import RolloutEngine
from rollout_vllm.envs import CoderEnv, FunctionCallEnv, PythonEnv, ToolsEnv, last_code_block
from rollout_vllm.hf import HFBackend
from rollout_vllm.sandbox import Sandbox, SandboxConfig


class ScriptedBackend:
    """Plays back fixed model turns (tokenised), stopping at markers exactly like a real backend."""

    def __init__(self, tokenizer, turns: list[str]):
        self.tokenizer, self.turns, self.calls = tokenizer, turns, 0
        self.seen: list[list[int]] = []

    def generate_step(self, prompts, sampling, stop, max_new):
        outs = []
        for p, m in zip(prompts, max_new):
            self.seen.append(list(p))
            text = self.turns[min(self.calls, len(self.turns) - 1)]
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            marker = next((s for s in stop if text.endswith(s)), None)
            finish = "stop" if marker else "eos"
            if len(ids) > m:
                ids, finish, marker = ids[:m], "length", None
            outs.append(StepOutput(ids, [-0.5] * len(ids), finish, marker))
        self.calls += 1
        return outs

    def update_weights(self, named):
        pass


SBX = Sandbox(SandboxConfig(timeout=5))


def test_python_env_splices_output_with_exact_masks(tokenizer):
    turns = ["Let me compute.\n```python\nprint(6 * 7)\n```\n```output", " So the answer is \\boxed{42}.<|im_end|>"]
    engine = RolloutEngine(ScriptedBackend(tokenizer, turns), PythonEnv(SBX))
    (s,) = engine.generate(["<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n"], n=1)
    assert s.tool_rounds == 1 and s.finish_reason == "eos" and not s.truncated
    assert s.text == turns[0] + "\n42\n```\n" + turns[1]
    obs = tokenizer("\n42\n```\n", add_special_tokens=False)["input_ids"]
    first = tokenizer(turns[0], add_special_tokens=False)["input_ids"]
    assert s.mask == [1] * len(first) + [0] * len(obs) + [1] * (len(s.mask) - len(first) - len(obs))
    assert all(lp == 0.0 for lp, m in zip(s.logprobs, s.mask) if m == 0)
    assert all(lp == -0.5 for lp, m in zip(s.logprobs, s.mask) if m == 1)
    # the second generation continued from exactly prompt + first turn + observation
    assert engine.backend.seen[-1] == s.prompt_ids + s.completion_ids[: len(first) + len(obs)]
    # re-tokenising prompt + completion reproduces the ids
    assert tokenizer(tokenizer.decode(s.prompt_ids) + s.text, add_special_tokens=False)["input_ids"] == (
        s.prompt_ids + s.completion_ids
    )


def test_max_turns_cuts_off(tokenizer):
    loop_turn = "```python\nprint(1)\n```\n```output"
    engine = RolloutEngine(ScriptedBackend(tokenizer, [loop_turn]), PythonEnv(SBX))
    (s,) = engine.generate(["p"], n=1, sampling=SamplingConfig(max_turns=2, max_tokens=4096))
    assert s.tool_rounds == 2 and s.finish_reason == "max_turns" and s.truncated


def test_token_budget_counts_observations(tokenizer):
    turns = ["```python\nprint('y' * 500)\n```\n```output", "done<|im_end|>"]
    engine = RolloutEngine(ScriptedBackend(tokenizer, turns), PythonEnv(SBX))
    (s,) = engine.generate(["p"], n=1, sampling=SamplingConfig(max_tokens=120))
    assert len(s.completion_ids) == 120 and s.truncated and s.finish_reason == "length"
    assert s.mask[-1] == 0


def test_tools_env_executes_registered_callables(tokenizer):
    call = '<tool_call>[{"name": "add", "arguments": {"a": 2, "b": 3}}, {"name": "nope", "arguments": {}}]</tool_call>'
    engine = RolloutEngine(ScriptedBackend(tokenizer, [call, "5<|im_end|>"]), ToolsEnv({"add": lambda a, b: a + b}))
    (s,) = engine.generate(["p"], n=1)
    payload = s.text.split("<tool_response>\n")[1].split("\n</tool_response>")[0]
    assert json.loads(payload) == [{"name": "add", "result": 5}, {"name": "nope", "error": "unknown tool 'nope'"}]


def test_coder_env_division_of_labour(tokenizer):
    turns = ["I need 2**10. <request>compute two to the tenth power</request>", " It is 1024.<|im_end|>"]
    asked = []

    def coder(requests: list[str]) -> list[str]:
        asked.append(list(requests))
        return ["```python\nprint(2 ** 10)\n```"] * len(requests)

    engine = RolloutEngine(ScriptedBackend(tokenizer, turns), CoderEnv(coder, SBX))
    samples = engine.generate(["p", "q"], n=2)
    assert asked == [["compute two to the tenth power"] * 4]  # one batched call for the whole round
    assert all("<result>\n1024\n</result>" in s.text for s in samples)
    s = samples[0]
    obs = tokenizer("\n<result>\n1024\n</result>\n", add_special_tokens=False)["input_ids"]
    k = next(i for i in range(len(s.completion_ids)) if s.completion_ids[i : i + len(obs)] == obs)
    assert s.mask[k : k + len(obs)] == [0] * len(obs) and s.mask[0] == 1  # the coder's result is masked


def test_hostile_code_inside_a_rollout_is_an_observation(tokenizer):
    turns = ["```python\nimport sys\nsys.exit(3)\n```\n```output", "ok<|im_end|>"]
    engine = RolloutEngine(ScriptedBackend(tokenizer, turns), PythonEnv(SBX))
    samples = engine.generate(["p", "q"], n=2)
    assert len(samples) == 4 and all("[error]" in s.text and s.text.endswith("ok<|im_end|>") for s in samples)


def test_last_code_block():
    text = "```python\na=1\n```\nthen\n```python\nprint(a)\n```\n```output"
    assert last_code_block(text) == "print(a)\n"
    assert last_code_block("no code ```output") is None


def test_function_call_env_is_single_step(tokenizer):
    engine = RolloutEngine(ScriptedBackend(tokenizer, ["<tool_call>[]</tool_call><|im_end|>"]), FunctionCallEnv())
    samples = engine.generate(["a", "b"], n=3)
    assert [(s.prompt_index, s.sample_index) for s in samples] == [(i, j) for i in range(2) for j in range(3)]
    assert all(s.tool_rounds == 0 and s.finish_reason == "eos" for s in samples)


def test_function_call_answer_ends_where_its_call_list_closes(tokenizer):
    """Generation stops at the first ``</tool_call>``: what a model would repeat after it is never sampled."""
    answer = '<think>x</think><tool_call>[{"name": "f", "arguments": {}}]</tool_call>'
    env = FunctionCallEnv()
    assert env.stop == ["</tool_call>"]
    engine = RolloutEngine(ScriptedBackend(tokenizer, [answer, "<tool_call>[]</tool_call>"]), env)
    (s,) = engine.generate(["a"], n=1)
    assert s.response == answer and s.finish_reason == "done" and not s.truncated


@pytest.fixture(scope="module")
def hf(tiny_model, tokenizer):
    return HFBackend(tiny_model, tokenizer)


def test_hf_greedy_is_deterministic_and_logprobs_match_a_forward_pass(hf, tokenizer, tiny_model):
    engine = RolloutEngine(hf)
    greedy = SamplingConfig(temperature=0.0, max_tokens=12)
    a = engine.generate(["hello", "world!"], n=2, sampling=greedy)
    b = engine.generate(["hello", "world!"], n=2, sampling=greedy)
    assert [s.completion_ids for s in a] == [s.completion_ids for s in b]
    assert a[0].completion_ids == a[1].completion_ids and len(a[0].completion_ids) <= 12
    s = a[2]
    with torch.no_grad():
        ids = torch.tensor([s.prompt_ids + s.completion_ids])
        logits = tiny_model(ids).logits[0, len(s.prompt_ids) - 1 : -1]
        ref = torch.log_softmax(logits, -1).gather(-1, torch.tensor(s.completion_ids)[:, None]).squeeze(-1)
    assert torch.allclose(torch.tensor(s.logprobs), ref, atol=1e-4)


def test_hf_sampling_uses_temperature_scaled_logprobs(hf, tiny_model):
    cfg = SamplingConfig(temperature=0.7, max_tokens=8, seed=3)
    (s,) = RolloutEngine(hf).generate(["abc"], n=1, sampling=cfg)
    with torch.no_grad():
        logits = tiny_model(torch.tensor([s.prompt_ids + s.completion_ids])).logits[0, len(s.prompt_ids) - 1 : -1]
        ref = torch.log_softmax(logits / 0.7, -1).gather(-1, torch.tensor(s.completion_ids)[:, None]).squeeze(-1)
    assert torch.allclose(torch.tensor(s.logprobs), ref, atol=1e-4)


def test_hf_stop_marker_cuts_at_the_completing_token(hf, tokenizer):
    out = hf._cut(tokenizer("abc```outputXYZ", add_special_tokens=False)["input_ids"], [0.0] * 15, ["```output"], 99)
    assert out.finish == "stop" and out.stop == "```output"
    assert tokenizer.decode(out.ids) == "abc```output"


def test_weight_update_changes_and_restores_output(hf, tiny_model):
    engine = RolloutEngine(hf)
    greedy = SamplingConfig(temperature=0.0, max_tokens=10)
    before = engine.generate(["weights"], sampling=greedy)[0].completion_ids
    original = {k: v.detach().clone() for k, v in tiny_model.named_parameters()}
    g = torch.Generator().manual_seed(1)
    engine.update_weights((k, v + 0.5 * torch.randn(v.shape, generator=g)) for k, v in original.items())
    changed = engine.generate(["weights"], sampling=greedy)[0].completion_ids
    engine.update_weights(original.items())
    after = engine.generate(["weights"], sampling=greedy)[0].completion_ids
    assert changed != before and after == before
    with pytest.raises(KeyError, match="unknown parameter"):
        engine.update_weights([("nope.weight", torch.zeros(1))])


class PerPromptBackend(ScriptedBackend):
    """Each prompt (decoded) names its own first turn; afterwards every sequence closes."""

    def __init__(self, tokenizer, first_turns: dict[str, str]):
        super().__init__(tokenizer, [])
        self.first_turns = first_turns

    def generate_step(self, prompts, sampling, stop, max_new):
        outs = []
        for p in prompts:
            text = self.tokenizer.decode(p)
            turn = "done<|im_end|>" if "```output" in text else self.first_turns[text]
            ids = self.tokenizer(turn, add_special_tokens=False)["input_ids"]
            marker = next((s for s in stop if turn.endswith(s)), None)
            outs.append(StepOutput(ids, [-0.1] * len(ids), "stop" if marker else "eos", marker))
        return outs


def test_every_hostile_program_in_one_batch_while_generation_continues(tokenizer):
    from .test_sandbox import HOSTILE

    turns = {name: f"```python\n{code}\n```\n```output" for name, (code, _) in HOSTILE.items()}
    engine = RolloutEngine(PerPromptBackend(tokenizer, turns), PythonEnv(Sandbox(SandboxConfig(timeout=3))))
    samples = engine.generate(list(turns), n=1, sampling=SamplingConfig(max_tokens=6000))
    for name, s in zip(turns, samples):
        expected = HOSTILE[name][1]
        expected = (expected,) if isinstance(expected, str) else expected
        assert any(e in s.text for e in expected) and s.text.endswith("done<|im_end|>"), (name, s.text[-300:])
        assert s.tool_rounds == 1 and s.finish_reason == "eos"


def test_response_drops_only_the_final_end_of_turn_token(tokenizer):
    engine = RolloutEngine(ScriptedBackend(tokenizer, ["answer<|im_end|>"]))
    (s,) = engine.generate(["p"], n=1)
    assert s.text == "answer<|im_end|>" and s.response == "answer"
    (t,) = RolloutEngine(ScriptedBackend(tokenizer, ["x" * 50])).generate(["p"], 1, SamplingConfig(max_tokens=10))
    assert t.finish_reason == "length" and t.response == t.text == "x" * 10


def test_hf_shared_prefix_batch_equals_one_prompt_at_a_time(hf, tokenizer, tiny_model):
    """Prompts sharing a long prefix but with tails of different lengths, two samples each: one batch that
    encodes the prefix once must give each prompt exactly what generating it alone gives."""
    prefix = tokenizer("a long shared system prompt with worked examples: ", add_special_tokens=False)["input_ids"]
    tails = ["x", "a longer user turn here", "mid tail"]
    prompts = [prefix + tokenizer(t, add_special_tokens=False)["input_ids"] for t in tails]
    greedy = SamplingConfig(temperature=0.0, max_tokens=10)
    together = hf.generate_step([p for p in prompts for _ in range(2)], greedy, [], [10] * 6)
    for j, p in enumerate(prompts):
        (alone,) = hf.generate_step([p], greedy, [], [10])
        for out in together[2 * j : 2 * j + 2]:
            assert out.ids == alone.ids
            assert max(abs(a - b) for a, b in zip(out.logprobs, alone.logprobs)) < 1e-4
        with torch.no_grad():
            logits = tiny_model(torch.tensor([p + alone.ids])).logits[0, len(p) - 1 : -1]
            ref = torch.log_softmax(logits, -1).gather(-1, torch.tensor(alone.ids)[:, None]).squeeze(-1)
        assert torch.allclose(torch.tensor(alone.logprobs), ref, atol=1e-4)
