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
    task = get_task(name, tools="rollout_vllm.testing:TOOLS") if name == "tools" else get_task(name)
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


def test_default_coder_gets_the_coder_prompt_and_its_code_runs(tokenizer):
    asked = []

    class FakeEngine:
        def __init__(self):
            self.tokenizer = tokenizer

        def generate(self, prompts, n, sampling, env=None):
            asked.append(prompts[0])
            return [Sample(0, 0, [1], text="```python\nprint(12 * 34)\n```")]

    env = get_task("coder").make_env(FakeEngine(), SamplingConfig(seed=3))
    out = env.act("<think>I need 12 times 34.</think><request>multiply 12 by 34</request>")
    assert "408" in out and out.strip().startswith("<result>")
    assert CODER_PROMPT.format(request="multiply 12 by 34") in asked[0]
    assert "<request>" not in asked[0]  # not the policy's own (coder-env) system prompt
