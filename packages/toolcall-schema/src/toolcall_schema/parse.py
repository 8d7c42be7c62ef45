"""Model output → calls + a structured diagnosis. Never raises, whatever the text.

Understands the Tool-N1 contract ``<think>…</think><tool_call>[{"name":…,"arguments":{…}}]</tool_call>``,
Hermes-style blocks (one JSON object per ``<tool_call>``), and plain Python call syntax
``[f(a=1), g.h(b="x")]`` (BFCL's prompt format). A ``<tool_call>`` inside ``<think>`` is not a call.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from .callsyntax import CallSyntaxError, format_calls, parse_calls
from .model import ToolCall

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
CALL_OPEN, CALL_CLOSE = "<tool_call>", "</tool_call>"
_BLOCK_RE = re.compile(re.escape(CALL_OPEN) + r"(.*?)" + re.escape(CALL_CLOSE), re.DOTALL)


class Diagnosis(str, Enum):
    """Why the output did (not) yield calls. ``OK`` and ``NO_CALL`` are well-formed outcomes."""

    OK = "ok"
    NO_CALL = "no_call"
    EMPTY = "empty"
    MISSING_THINK = "missing_think"
    UNCLOSED_THINK = "unclosed_think"
    UNCLOSED_TOOL_CALL = "unclosed_tool_call"
    BAD_JSON = "bad_json"
    BAD_SHAPE = "bad_shape"
    BAD_PYTHON = "bad_python"
    EXTRA_TEXT = "extra_text"


@dataclass(slots=True)
class ParsedOutput:
    """What a completion says: ``calls`` (possibly []), the reasoning text and a diagnosis.

    ``format_ok`` is the strict Tool-N1 format check: a closed ``<think>`` first (when required), then
    either exactly one well-formed ``<tool_call>`` block and nothing after it, or a plain answer.
    """

    calls: list[ToolCall] = field(default_factory=list)
    diagnosis: Diagnosis = Diagnosis.NO_CALL
    detail: str = ""
    think: str | None = None
    answer_text: str = ""
    format_ok: bool = False

    @property
    def ok(self) -> bool:
        return self.diagnosis in (Diagnosis.OK, Diagnosis.NO_CALL)


Syntax = Literal["auto", "json", "python"]


def _shape_calls(obj: Any) -> list[ToolCall]:
    items = obj if isinstance(obj, list) else [obj]
    calls = []
    for i, it in enumerate(items):
        if not isinstance(it, dict):
            raise ValueError(f"call #{i} is {type(it).__name__}, not an object")
        if "function" in it and isinstance(it["function"], dict):  # OpenAI tool_calls entry
            it = it["function"]
        name = it.get("name")
        args = it.get("arguments", it.get("parameters", {}))
        if isinstance(args, str):  # OpenAI sends arguments as a JSON string
            try:
                args = json.loads(args)
            except ValueError:
                raise ValueError(f"call #{i}: arguments string is not JSON") from None
        if not isinstance(name, str) or not name:
            raise ValueError(f"call #{i}: missing or non-string 'name'")
        if not isinstance(args, dict):
            raise ValueError(f"call #{i}: 'arguments' is {type(args).__name__}, not an object")
        extra = set(it) - {"name", "arguments", "parameters", "id", "type"}
        if extra:
            raise ValueError(f"call #{i}: unexpected keys {sorted(extra)}")
        calls.append(ToolCall(name, args))
    return calls


def _parse_block(content: str, syntax: Syntax) -> tuple[list[ToolCall], Diagnosis, str]:
    content = content.strip()
    if syntax != "python":
        try:
            obj = json.loads(content)
        except (ValueError, RecursionError) as e:
            if syntax == "json":
                return [], Diagnosis.BAD_JSON, str(e)[:200]
            json_error = str(e)[:200]
        else:
            try:
                return _shape_calls(obj), Diagnosis.OK, ""
            except (ValueError, RecursionError) as e:
                return [], Diagnosis.BAD_SHAPE, str(e)[:200]
    else:
        json_error = ""
    try:
        return parse_calls(content), Diagnosis.OK, ""
    except (CallSyntaxError, RecursionError, MemoryError) as e:
        if syntax == "python":
            return [], Diagnosis.BAD_PYTHON, str(e)[:200]
        return [], Diagnosis.BAD_JSON, json_error or str(e)[:200]


def _looks_like_python_calls(s: str) -> bool:
    return bool(re.fullmatch(r"\[?\s*[^\s\[\](){}'\",=][^\[\](){}'\",=]*\(.*\)\s*\]?", s, re.DOTALL))


def parse_output(text: Any, *, require_think: bool = True, syntax: Syntax = "auto") -> ParsedOutput:
    """Parse a completion. ``syntax`` picks what a ``<tool_call>`` body may be (JSON, Python calls, or
    either); untagged Python call lists (BFCL style) are read in ``auto`` and ``python`` modes."""
    try:
        return _parse_output(text if isinstance(text, str) else "", require_think, syntax)
    except Exception as e:  # noqa: BLE001 - the contract is: never raise on any text
        return ParsedOutput(diagnosis=Diagnosis.BAD_SHAPE, detail=f"unparseable: {type(e).__name__}")


def _parse_output(text: str, require_think: bool, syntax: Syntax) -> ParsedOutput:
    out = ParsedOutput()
    if not text.strip():
        out.diagnosis, out.detail = Diagnosis.EMPTY, "empty completion"
        return out
    body = text
    think_ok = not require_think
    t_open = text.find(THINK_OPEN)
    if t_open >= 0 and not text[:t_open].strip():
        t_close = text.find(THINK_CLOSE, t_open)
        if t_close < 0:
            out.think = text[t_open + len(THINK_OPEN) :]
            out.diagnosis, out.detail = Diagnosis.UNCLOSED_THINK, "<think> is never closed"
            return out
        out.think = text[t_open + len(THINK_OPEN) : t_close].strip()
        body = text[t_close + len(THINK_CLOSE) :]
        think_ok = True
    elif t_open >= 0:
        # Text before <think>: the reasoning block is not first. Calls inside it still don't count.
        t_close = text.find(THINK_CLOSE, t_open)
        body = text[:t_open] + ("" if t_close < 0 else text[t_close + len(THINK_CLOSE) :])
    blocks = list(_BLOCK_RE.finditer(body))
    dangling = body.count(CALL_OPEN) != len(blocks) or body.count(CALL_CLOSE) != len(blocks)
    if dangling:
        out.diagnosis, out.detail = Diagnosis.UNCLOSED_TOOL_CALL, "unbalanced <tool_call> tags"
        return out
    if not blocks:
        stripped = body.strip()
        if syntax != "json" and stripped and _looks_like_python_calls(stripped):
            calls, diag, detail = _parse_block(stripped, "python")
            if diag is Diagnosis.OK:
                out.calls = calls
                out.diagnosis = Diagnosis.OK if think_ok else Diagnosis.MISSING_THINK
                out.format_ok = think_ok
                return out
        out.answer_text = stripped
        out.diagnosis = Diagnosis.NO_CALL if think_ok else Diagnosis.MISSING_THINK
        out.detail = "" if think_ok else "no <think> block"
        out.format_ok = think_ok
        return out
    calls: list[ToolCall] = []
    for b in blocks:
        got, diag, detail = _parse_block(b.group(1), syntax)
        if diag is not Diagnosis.OK:
            out.diagnosis, out.detail = diag, detail
            return out
        calls.extend(got)
    out.calls = calls
    before = body[: blocks[0].start()].strip()
    after = body[blocks[-1].end() :].strip()
    if not think_ok:
        out.diagnosis, out.detail = Diagnosis.MISSING_THINK, "no <think> block"
    elif before or after:
        out.diagnosis = Diagnosis.EXTRA_TEXT
        out.detail = "text outside <tool_call> after </think>"
    else:
        out.diagnosis = Diagnosis.OK
    out.format_ok = out.diagnosis is Diagnosis.OK and len(blocks) == 1
    return out


def format_tool_call(calls: list[ToolCall]) -> str:
    """The Tool-N1 ``<tool_call>`` block for ``calls`` (a JSON list)."""
    payload = json.dumps([c.to_dict() for c in calls], ensure_ascii=False)
    return f"{CALL_OPEN}\n{payload}\n{CALL_CLOSE}"


def format_completion(calls: list[ToolCall], think: str = "", text: str = "") -> str:
    """A completion in the Tool-N1 contract: reasoning, then the call block (or ``text`` when no call)."""
    tail = format_tool_call(calls) if calls else text
    return f"{THINK_OPEN}{think}{THINK_CLOSE}\n{tail}"


__all__ = [
    "Diagnosis",
    "ParsedOutput",
    "parse_output",
    "format_tool_call",
    "format_completion",
    "format_calls",
]
