"""Tasks: one registry entry per kind of episode, owning everything that differs between them.

A task says how a record becomes a prompt (system text, tool format, worked examples), which environment acts
on the model's stop markers (nothing, sandboxed Python, a coder, registered tools), which reward judges a
finished sample for *evaluation* (a ``toolcall-reward`` name whose ``correct`` is the accuracy; a recipe may name
another), and the extra metrics it reports (e.g. how often code ran). The trainer, ``rollout-vllm generate`` and
``bench-eval run`` all go through :func:`get_task`; a new kind of episode is one registered class.

>>> task = get_task("python")
>>> task.eval_reward, task.make_env(None, None).stop
('boxed', ['```output'])
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from toolcall_schema import Record, render_prompt, sft_target
from toolcall_schema.markers import CODE_OPEN, FENCE_CLOSE, OUTPUT_OPEN
from toolcall_schema.parse import format_tool_call
from toolcall_schema.prompt import DIRECT_SYSTEM_PROMPT, TOOL_N1_SYSTEM_PROMPT

from .core import Sample, SamplingConfig
from .envs import (
    CODER_PROMPT,
    REQUEST_CLOSE,
    REQUEST_OPEN,
    RESULT_CLOSE,
    RESULT_OPEN,
    CoderEnv,
    FunctionCallEnv,
    PythonEnv,
    ToolsEnv,
    observation_failed,
)
from .prompts import math_messages
from .sandbox import Sandbox, SandboxConfig


class Task:
    """Base class. Subclasses set ``name`` (by :func:`register_task`) and ``eval_reward``, and implement ``prompt``
    and ``make_env``."""

    name: ClassVar[str] = ""
    eval_reward: ClassVar[str] = "binary"

    def prompt(
        self,
        record: Record,
        tokenizer: Any,
        *,
        shots: Sequence[tuple[Record, str]] = (),
        tool_format: str = "json",
        extra_system: str | None = None,
    ) -> str:
        """The prompt text for ``record`` (chat template applied, generation prompt added)."""
        raise NotImplementedError

    def make_env(self, engine: Any, sampling: SamplingConfig | None) -> Any:
        """The environment acting on this task's stop markers (``engine`` is the policy's, for tasks that need it)."""
        raise NotImplementedError

    def metrics(self, samples: Sequence[Sample]) -> dict[str, float]:
        """Task-specific metrics over finished samples (default: none)."""
        return {}

    def bind(self, tokenizer: Any) -> None:
        """Learn the policy's tokenizer (tasks whose solutions depend on its chat template use it)."""

    def solution(self, record: Record, reasoning: bool = True) -> list[tuple[str, bool]]:
        """The record's gold answer written as this task's model should write it (worked examples, the SFT warm
        start), as ``(text, written by the model)`` pieces: what the environment would inject is ``False``
        (masked in SFT). ``reasoning=False``: without the thought (Tool-N1's no-reason SFT)."""
        raise NotImplementedError


TASKS: dict[str, type[Task]] = {}


def register_task(name: str) -> Callable[[type[Task]], type[Task]]:
    def deco(cls: type[Task]) -> type[Task]:
        cls.name = name
        TASKS[name] = cls
        return cls

    return deco


def get_task(name: str, **options: Any) -> Task:
    """An instance of the registered task ``name``. Each option (``tools``, ``coder_model``, ``sandbox``...) goes
    to the task whose constructor takes it, so callers pass their whole configuration to any task."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose from {', '.join(sorted(TASKS))}")
    accepted = inspect.signature(TASKS[name]).parameters
    return TASKS[name](**{k: v for k, v in options.items() if k in accepted})


PROMPT_FILE = "prompt.json"


@dataclass
class PromptSpec:
    """How a run renders its prompts: the task, the tool format and the worked examples (each a record and the
    answer text shown for it). The trainer renders every prompt through it and writes it to its run directory
    (:data:`PROMPT_FILE`); ``bench-eval run`` reads it back, so a trained model is scored as it was trained."""

    task: str = "function_call"
    tool_format: str = "json"
    shots: list[tuple[Record, str]] = field(default_factory=list)
    think: bool = True  # the function_call task's thought (False: the no-reasoning ablation)

    def make_task(self, **options: Any) -> Task:
        return get_task(self.task, think=self.think, **options)

    def render(self, record: Record, tokenizer: Any, extra_system: str | None = None, task: Task | None = None) -> str:
        task = task or self.make_task()
        return task.prompt(record, tokenizer, shots=self.shots, tool_format=self.tool_format, extra_system=extra_system)

    def to_dict(self) -> dict[str, Any]:
        shots = [{"record": r.to_dict(), "answer": a} for r, a in self.shots]
        return {"task": self.task, "tool_format": self.tool_format, "think": self.think, "shots": shots}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PromptSpec:
        shots = [(Record.from_dict(x["record"]), x["answer"]) for x in d.get("shots", [])]
        return cls(d.get("task", "function_call"), d.get("tool_format", "json"), shots, d.get("think", True))

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / PROMPT_FILE
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def find(cls, path: str | Path) -> PromptSpec | None:
        """The spec saved in ``path`` (a run directory, a checkpoint or its model folder) or the folders above it."""
        here = Path(path).resolve()
        for folder in [here, *here.parents][:3]:
            if (folder / PROMPT_FILE).is_file():
                return cls.from_dict(json.loads((folder / PROMPT_FILE).read_text(encoding="utf-8")))
        return None


def _system(base: str, extra: str | None) -> str:
    return base + ("\n" + extra if extra else "")


@register_task("function_call")
class FunctionCallTask(Task):
    """Tool-N1: one completion with ``<think>`` and a ``<tool_call>`` list; nothing runs. ``think=False`` is the
    no-reasoning ablation: the prompt asks for the call alone and the gold answers have no thought (score it with
    ``require_think=False``)."""

    eval_reward = "binary"

    def __init__(self, think: bool = True) -> None:
        self.think = think

    def prompt(self, record, tokenizer, *, shots=(), tool_format="json", extra_system=None) -> str:
        system = _system(TOOL_N1_SYSTEM_PROMPT if self.think else DIRECT_SYSTEM_PROMPT, extra_system)
        return render_prompt(record, tokenizer, system_prompt=system, shots=shots, tool_format=tool_format)

    def make_env(self, engine, sampling) -> FunctionCallEnv:
        return FunctionCallEnv()

    def solution(self, record, reasoning=True) -> list[tuple[str, bool]]:
        if not self.think:
            return [(format_tool_call(record.answer) if record.answer else "No tool call is needed.", True)]
        counts = Counter(c.name for c in record.answer)  # "get_weather twice": a request for several calls of one tool
        times = {1: "", 2: " twice"}
        names = ", ".join(n + times.get(k, f" {k} times") for n, k in sorted(counts.items())) or "none of the tools"
        return [(sft_target(record, think=f"The request needs {names}." if reasoning else ""), True)]


class _MathTask(Task):
    eval_reward = "boxed"
    env_name = ""

    def __init__(self, sandbox: SandboxConfig | None = None) -> None:
        self.sandbox = sandbox

    def prompt(self, record, tokenizer, *, shots=(), tool_format="json", extra_system=None) -> str:
        messages = math_messages(record, self.env_name, shots)
        if extra_system:
            messages[0]["content"] = _system(messages[0]["content"], extra_system)
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def metrics(self, samples) -> dict[str, float]:
        """``tool_use``: the share of samples in which the environment acted at least once."""
        return {"tool_use": sum(s.tool_rounds > 0 for s in samples) / len(samples)} if samples else {}

    def solution(self, record, reasoning=True) -> list[tuple[str, bool]]:
        """Needs ``meta.program`` (Python printing the answer) and ``meta.gold``."""
        program, gold = record.meta.get("program"), record.meta.get("gold")
        if not program or gold is None:
            raise ValueError(f"record {record.id}: a worked solution needs meta.program and meta.gold")
        think = "I compute it with Python." if reasoning else ""
        act, observation = self.act(program)
        answer = f"</think>\n<answer>\\boxed{{{gold}}}</answer>"
        return [(f"<think>{think}\n{act}", True), (observation.format(gold=gold), False), (answer, True)]

    def act(self, program: str) -> tuple[str, str]:
        """(what the model writes to have ``program`` run, the observation template that comes back)."""
        raise NotImplementedError


@register_task("python")
class PythonTask(_MathTask):
    """SimpleGRPO *think while acting*: the model writes Python mid-reasoning, the sandbox runs it."""

    env_name = "python"

    def make_env(self, engine, sampling) -> PythonEnv:
        return PythonEnv(Sandbox(self.sandbox))

    def act(self, program: str) -> tuple[str, str]:
        return f"{CODE_OPEN}\n{program}\n{FENCE_CLOSE}\n{OUTPUT_OPEN}", f"\n{{gold}}\n{FENCE_CLOSE}\n"


class Coder:
    """The division-of-labour coder: a separate, frozen model answering :data:`~rollout_vllm.envs.CODER_PROMPT`
    greedily. All the requests of one rollout round go to its backend as one batch. It holds its own weights: the
    policy's updates and weight syncs never reach it."""

    def __init__(self, backend: Any, max_tokens: int = 160) -> None:
        from .engine import RolloutEngine

        self.engine = RolloutEngine(backend, FunctionCallEnv())
        self.sampling = SamplingConfig(temperature=0.0, max_tokens=max_tokens)

    @classmethod
    def load(cls, spec: str, policy_backend: Any = None, **kwargs: Any) -> Coder:
        """``spec``: ``same`` (a frozen copy of the policy as it is now, i.e. the initial policy when the trainer
        builds it), a local path or a hub id."""
        import copy

        from .hf import HFBackend

        if spec == "same":
            if getattr(policy_backend, "model", None) is None:
                raise ValueError("coder_model='same' needs the policy's HF backend; name a model path instead")
            model = copy.deepcopy(policy_backend.model).eval().requires_grad_(False)
            return cls(HFBackend(model, policy_backend.tokenizer), **kwargs)
        return cls(HFBackend(spec), **kwargs)

    def __call__(self, requests: list[str]) -> list[str]:
        tok = self.engine.tokenizer
        prompts = [
            tok.apply_chat_template(
                [{"role": "user", "content": CODER_PROMPT.format(request=r)}],
                tokenize=False,
                add_generation_prompt=True,
            )
            for r in requests
        ]
        return [s.response for s in self.engine.generate(prompts, 1, self.sampling)]


_SPOKEN = {" * ": " times ", " + ": " plus ", " - ": " minus ", " / ": " divided by "}


def spoken(expression: str) -> str:
    """A Python expression read out in words, as a request to the coder says it: ``(a + b) * D("1.5")`` →
    ``(a plus b) times 1.5``."""
    text = expression.replace('D("', "").replace('")', "")
    for op, word in _SPOKEN.items():
        text = text.replace(op, word)
    return text


@register_task("coder")
class CoderTask(_MathTask):
    """SimpleGRPO *division of labour*: the model states a computation in words, a separate frozen coder model
    writes the code, the sandbox runs it. ``coder`` is any ``list[str] → list[str]``; else ``coder_model`` builds
    a :class:`Coder` (``same``: a frozen copy of the policy when the environment is made)."""

    env_name = "coder"

    def __init__(
        self,
        sandbox: SandboxConfig | None = None,
        coder: Callable[[list[str]], list[str]] | None = None,
        coder_model: str = "same",
    ) -> None:
        super().__init__(sandbox)
        self.coder, self.coder_model = coder, coder_model

    def make_env(self, engine, sampling) -> CoderEnv:
        if self.coder is None:
            self.coder = Coder.load(self.coder_model, engine.backend)
        return CoderEnv(self.coder, Sandbox(self.sandbox))

    def metrics(self, samples) -> dict[str, float]:
        """Plus ``coder_ok``: the share of the coder's programs that ran without an error."""
        results = [
            part.split(RESULT_CLOSE)[0] for s in samples for part in (s.text or s.response).split(RESULT_OPEN)[1:]
        ]
        ok = sum(not observation_failed(r) for r in results)
        return {**super().metrics(samples), "coder_ok": ok / len(results) if results else 0.0}

    def act(self, program: str) -> tuple[str, str]:
        last = program.strip().splitlines()[-1]
        what = last[len("print(") : -1] if last.startswith("print(") and last.endswith(")") else program
        request = f"{REQUEST_OPEN}Compute {spoken(what)} exactly.{REQUEST_CLOSE}"
        return request, f"\n{RESULT_OPEN}\n{{gold}}\n{RESULT_CLOSE}\n"


def load_tools(spec: str | None) -> dict[str, Callable[..., Any]]:
    """``MODULE:DICT`` → that dict of callables."""
    if not spec or ":" not in spec:
        raise ValueError("the tools task needs tools='MODULE:DICT' naming a dict of callables")
    module, name = spec.split(":", 1)
    tools = getattr(importlib.import_module(module), name)
    if not isinstance(tools, dict):
        raise ValueError(f"{spec} is not a dict of callables")
    return tools


@register_task("tools")
class ToolsTask(FunctionCallTask):
    """Tool calls executed against registered Python callables; results come back as ``<tool_response>``."""

    def __init__(self, tools: str | dict[str, Callable[..., Any]] | None = None, think: bool = True) -> None:
        super().__init__(think)
        self.tools = tools

    def make_env(self, engine, sampling) -> ToolsEnv:
        return ToolsEnv(self.tools if isinstance(self.tools, dict) else load_tools(self.tools))


@register_task("bfcl_multi_turn")
class MultiTurnTask(FunctionCallTask):
    """BFCL v4 multi-turn: the Tool-N1 prompt over the entry's tools, then one conversation per sample in which the
    calls run on the sample's own backend instances (:mod:`rollout_vllm.multi_turn`); judged by BFCL's
    all-turns verdict. Give it ``rollout.max_turns`` for every step of every turn (each is one environment round)."""

    eval_reward = "bfcl_multi_turn"

    def prompt(self, record, tokenizer, *, shots=(), tool_format="json", extra_system=None) -> str:
        from .multi_turn import MULTI_TURN_NOTE

        note = MULTI_TURN_NOTE + ("\n" + extra_system if extra_system else "")
        return super().prompt(record, tokenizer, shots=shots, tool_format=tool_format, extra_system=note)

    def make_env(self, engine, sampling):
        from .multi_turn import BFCLMultiTurnEnv

        return BFCLMultiTurnEnv(engine.tokenizer)

    def metrics(self, samples) -> dict[str, float]:
        """``steps``: model messages per sample; ``turns_reached``: the turns a sample got to, on average."""
        if not samples or any(s.episode is None for s in samples):
            return {}
        steps = sum(len(turn) for s in samples for turn in s.episode["turns"])
        turns = sum(len(s.episode["turns"]) for s in samples)
        return {"steps": steps / len(samples), "turns_reached": turns / len(samples)}

    tokenizer: Any = None  # the policy's: worked solutions splice the environment's messages in its chat template

    def bind(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def solution(self, record, reasoning=True) -> list[tuple[str, bool]]:
        """The ground-truth conversation, one call per message, with the tool results and later user turns the
        environment would inject (masked in SFT). Needs the policy's tokenizer (:meth:`bind`)."""
        from .multi_turn import solution_pieces

        if self.tokenizer is None:
            raise ValueError("bfcl_multi_turn: bind the policy's tokenizer before asking for a worked solution")
        return solution_pieces(record, self.tokenizer)
