"""Executing BFCL multi-turn calls on the backend classes ``bfcl-eval`` ships (file system, trading, travel...).

A :class:`Session` owns the instances of one trajectory: built fresh from the entry's ``initial_config``, never
shared (BFCL's own executor keeps instances in module globals keyed by model name and entry id, so two rollouts
of one entry would share a file system). A call runs as a method call on its instance, never through ``eval``;
its result is turned into text as BFCL does, and a failing call is an observation, not an exception.

>>> parse_call("mv(source='a.txt', destination='tmp')")
Call(name='mv', args=(), kwargs={'source': 'a.txt', 'destination': 'tmp'})
"""

from __future__ import annotations

import ast
import copy
import importlib
import inspect
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .model import Record, ToolCall

# BFCL refuses to run calls whose name is one of these (``multi_turn_utils.execute_multi_turn_func_call``).
FORBIDDEN = frozenset({"kill", "exit", "quit", "remove", "unlink", "popen", "Popen", "run"})


@dataclass(frozen=True)
class Call:
    """One call: a method name, positional and keyword arguments."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def source(self) -> str:
        """As Python source (``f(1, a='x')``), the form BFCL's checker evaluates."""
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.name}({', '.join(parts)})"


def parse_call(text: str) -> Call:
    """A ground-truth call string (``sort('a.txt')``, ``cd(folder='x')``) → :class:`Call`; arguments must be
    literals. Raises ``ValueError`` otherwise."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            raise ValueError(f"not a call of a plain name: {text!r}")
        args = tuple(ast.literal_eval(a) for a in node.args)
        kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg is not None}
    except (SyntaxError, ValueError) as e:
        raise ValueError(f"cannot read call {text!r}: {e}") from None
    return Call(node.func.id, args, kwargs)


def as_call(call: Call | ToolCall | str) -> Call:
    """A model's decoded :class:`ToolCall`, a call string or a :class:`Call` → :class:`Call`."""
    if isinstance(call, Call):
        return call
    if isinstance(call, ToolCall):
        return Call(call.name, (), dict(call.arguments))
    return parse_call(call)


def result_text(value: Any) -> str:
    """A call's return value as text, as BFCL writes it into the conversation."""
    if type(value) is str:
        return value
    if type(value) is dict:
        try:
            return json.dumps(value)
        except Exception:  # noqa: BLE001 - BFCL falls back to str() for what json cannot write
            return str(value)
    return str(value)


def _backend_class(name: str) -> type:
    from bfcl_eval.constants.executable_backend_config import CLASS_FILE_PATH_MAPPING

    if name not in CLASS_FILE_PATH_MAPPING:
        raise KeyError(f"unknown BFCL backend class {name!r}")
    return getattr(importlib.import_module(CLASS_FILE_PATH_MAPPING[name]), name)


def gold_calls(record: Record) -> list[list[ToolCall]]:
    """A ``bfcl_multi_turn`` record's ground truth per turn, as calls with named arguments."""
    session = Session.for_record(record)
    return [[session.named(c) for c in turn] for turn in record.meta["ground_truth"]]


class Session:
    """The backend instances of one trajectory, and the calls executed on them."""

    def __init__(self, involved_classes: Sequence[str], initial_config: dict[str, Any], long_context: bool = False):
        from bfcl_eval.constants.executable_backend_config import STATELESS_CLASSES

        self.instances: dict[str, Any] = {}
        self.methods: dict[str, Any] = {}
        for name in involved_classes:
            instance = _backend_class(name)()
            if name not in STATELESS_CLASSES:
                instance._load_scenario(copy.deepcopy(initial_config.get(name, {})), long_context=long_context)
            self.instances[name] = instance
            for method, bound in inspect.getmembers(instance, predicate=inspect.ismethod):
                if not method.startswith("_"):
                    self.methods[method] = bound  # a later class wins a shared name, as in BFCL
        self.results: list[str] = []

    @classmethod
    def for_record(cls, record: Record) -> Session:
        meta = record.meta
        return cls(meta["involved_classes"], meta.get("initial_config", {}), "long_context" in meta.get("category", ""))

    def call(self, call: Call | ToolCall | str) -> str:
        """Run one call; its result, or ``Error during execution: …`` as BFCL reports a failure."""
        try:
            c = as_call(call)
            if c.name in FORBIDDEN:
                raise Exception(f"Function call {c.name} is not allowed.")
            method = self.methods.get(c.name)
            if method is None:
                raise NameError(f"name '{c.name}' is not defined")
            out = result_text(method(*c.args, **c.kwargs))
        except Exception as e:  # noqa: BLE001 - a failing call is an observation
            out = f"Error during execution: {e}"
        self.results.append(out)
        return out

    def execute(self, calls: Iterable[Call | ToolCall | str]) -> list[str]:
        """Run calls in order; one result text per call."""
        return [self.call(c) for c in calls]

    def named(self, call: Call | ToolCall | str) -> ToolCall:
        """The call with every argument named (``sort('a.txt')`` → ``sort(file_name='a.txt')``), as a model writes
        it in a JSON ``<tool_call>``."""
        c = as_call(call)
        bound = inspect.signature(self.methods[c.name]).bind(*c.args, **c.kwargs)
        return ToolCall(c.name, dict(bound.arguments))

    def state(self) -> dict[str, dict[str, Any]]:
        """Every instance's public attributes (what BFCL's state check compares)."""
        return {name: {k: v for k, v in vars(i).items() if not k.startswith("_")} for name, i in self.instances.items()}

    def differences(self, other: Session) -> dict[str, dict[str, Any]]:
        """Per class, the public attributes of ``other`` (the ground truth) whose value here differs."""
        out: dict[str, dict[str, Any]] = {}
        for name, truth in other.instances.items():
            mine = self.instances[name]
            diff = {
                k: {"model": getattr(mine, k, None), "ground_truth": v}
                for k, v in vars(truth).items()
                if not k.startswith("_") and getattr(mine, k, None) != v
            }
            if diff:
                out[name] = diff
        return out
