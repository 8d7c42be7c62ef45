"""The task registry: each task's prompt, environment, evaluation reward and metrics; the coder is asked with the
coder prompt, not the policy's."""

from __future__ import annotations

import pytest
from rollout_vllm.core import Sample, SamplingConfig
from rollout_vllm.envs import CODER_PROMPT, CoderEnv, FunctionCallEnv, PythonEnv, ToolsEnv
from rollout_vllm.tasks import TASKS, Task, get_task, register_task
from toolcall_schema import Message, Record, Tool, ToolCall

MATH = Record("m", "math", [], [Message("user", "What is 12 * 34?")], [], meta={"gold": "408"})
CALL = Record("c", "t", [Tool("f", "adds", {"type": "object", "properties": {}})], [Message("user", "q")],
              [ToolCall("f")])  # fmt: skip


@pytest.mark.parametrize(
    ("name", "env", "reward", "record", "marker"),
    [
        ("function_call", FunctionCallEnv, "binary", CALL, "<tool_call>"),
        ("python", PythonEnv, "boxed", MATH, "```python"),
        ("coder", CoderEnv, "boxed", MATH, "<request>"),
        ("tools", ToolsEnv, "binary", CALL, "<tool_call>"),
    ],
)
def test_each_task_owns_prompt_env_and_eval_reward(tokenizer, name, env, reward, record, marker):
    task = get_task(name, tools="rollout_vllm.testing:TOOLS", coder=lambda requests: requests)  # each takes its own
    assert isinstance(task.make_env(None, SamplingConfig()), env) and task.eval_reward == reward
    prompt = task.prompt(record, tokenizer)
    assert marker in prompt and record.messages[-1].content in prompt
    assert "EXTRA RULE" in task.prompt(record, tokenizer, extra_system="EXTRA RULE")


def test_unknown_task_and_registering_a_new_one():
    with pytest.raises(ValueError, match="unknown task 'nope'"):
        get_task("nope")

    @register_task("test_echo")
    class Echo(Task):
        eval_reward = "boxed"

        def prompt(self, record, tokenizer, **kw):
            return record.messages[-1].content

        def make_env(self, engine, sampling):
            return FunctionCallEnv()

    try:
        assert get_task("test_echo").prompt(MATH, None) == "What is 12 * 34?"
    finally:
        del TASKS["test_echo"]


def test_math_tasks_report_tool_use():
    samples = [Sample(0, i, [1], tool_rounds=r) for i, r in enumerate((0, 1, 2, 0))]
    assert get_task("python").metrics(samples) == {"tool_use": 0.5}
    assert get_task("function_call").metrics(samples) == {}


def test_the_coder_is_asked_with_the_coder_prompt_in_one_batch_and_its_code_runs(tokenizer):
    from rollout_vllm.core import StepOutput
    from rollout_vllm.tasks import Coder

    class CoderBackend:  # a separate model that always answers with the same program
        def __init__(self):
            self.tokenizer, self.batches = tokenizer, []

        def generate_step(self, prompts, sampling, stop, max_new):
            self.batches.append([tokenizer.decode(p) for p in prompts])
            ids = tokenizer("```python\nprint(12 * 34)\n```<|im_end|>", add_special_tokens=False)["input_ids"]
            return [StepOutput(ids, [-0.5] * len(ids), "eos", None) for _ in prompts]

    backend = CoderBackend()
    env = get_task("coder", coder=Coder(backend)).make_env(None, SamplingConfig(seed=3))
    texts = [f"<think>I need 12 times 34.</think><request>multiply 12 by {k}</request>" for k in (34, 35)]
    outs = env.act_batch(texts)
    assert all("408" in out and out.strip().startswith("<result>") for out in outs)
    (batch,) = backend.batches  # both requests in one generation call
    assert CODER_PROMPT.format(request="multiply 12 by 35") in batch[1]
    assert all("<request>" not in p for p in batch)  # not the policy's own (coder-env) system prompt


def test_function_call_without_thought_prompts_and_answers_with_the_call_alone(tokenizer):
    """The no-reasoning ablation: no <think> asked for or shown; its gold answer scores 1 once the reward stops
    requiring a thought, and 0 (format) while it does."""
    from rollout_vllm.tasks import PromptSpec

    plain, direct = get_task("function_call"), get_task("function_call", think=False)
    ((answer, trained),) = direct.solution(CALL)
    assert trained and answer.startswith("<tool_call>") and "<think>" not in answer
    shot = PromptSpec("function_call", shots=[(CALL, answer)], think=False)
    prompt = shot.render(CALL, tokenizer)
    assert "<think>" not in prompt and "<think>" in plain.prompt(CALL, tokenizer)
    assert PromptSpec.from_dict(shot.to_dict()) == shot
    reward = pytest.importorskip("toolcall_reward", reason="toolcall-reward is not a dependency of rollout-vllm")
    assert reward.score(answer, CALL, reward.RewardConfig(reward="binary", require_think=False)).correct
    assert not reward.score(answer, CALL, reward.RewardConfig(reward="binary")).correct


def test_the_worked_thought_counts_calls_of_one_tool():
    tools = [Tool(n, "", {"type": "object", "properties": {}}) for n in ("f", "g")]

    def thought(*names: str) -> str:
        record = Record("r", "t", tools, [Message("user", "q")], [ToolCall(n, {"i": i}) for i, n in enumerate(names)])
        ((answer, _),) = get_task("function_call").solution(record)
        return answer.split("</think>")[0]

    assert thought("f") == "<think>The request needs f."
    assert thought("g", "f") == "<think>The request needs f, g."  # as before: distinct tools, sorted
    assert thought("f", "f") == "<think>The request needs f twice."
    assert thought("f", "g", "f", "f") == "<think>The request needs f 3 times, g."
