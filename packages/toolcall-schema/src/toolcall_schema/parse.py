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
from .fastjson import loads
from .model import ToolCall

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"  # lengths 7 and 8, used as literals in the hot path
CALL_OPEN, CALL_CLOSE = "<tool_call>", "</tool_call>"  # lengths 11 and 12


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

    ``format_ok`` is the strict R1 format check: a closed ``<think>`` first (when required), then either exactly
    one well-formed ``<tool_call>`` block and nothing after it, or a plain answer. Under ``syntax="hermes"`` or
    ``"auto"`` several blocks of one JSON object each (Hermes: what Qwen chat templates and vLLM's hermes parser
    write) are well-formed too.
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


Syntax = Literal["auto", "json", "python", "hermes"]


def _shape_calls(obj: Any) -> list[ToolCall]:
    calls: list[ToolCall] = []
    for it in obj if type(obj) is list else [obj]:
        if type(it) is dict and len(it) == 2:  # the common, well-formed case first
            name, args = it.get("name"), it.get("arguments")
            if type(name) is str and name and type(args) is dict:
                calls.append(ToolCall(name, args))
                continue
        i = len(calls)
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
    if syntax == "hermes" and not content.lstrip().startswith("{"):
        return [], Diagnosis.BAD_SHAPE, "a Hermes <tool_call> block holds one JSON object"
    if syntax != "python":
        try:
            obj = loads(content)
        except (ValueError, RecursionError) as e:
            if syntax in ("json", "hermes"):
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
        return parse_calls(content.strip()), Diagnosis.OK, ""
    except (CallSyntaxError, RecursionError, MemoryError) as e:
        if syntax == "python":
            return [], Diagnosis.BAD_PYTHON, str(e)[:200]
        return [], Diagnosis.BAD_JSON, json_error or str(e)[:200]


def _looks_like_python_calls(s: str) -> bool:
    return bool(re.fullmatch(r"\[?\s*[^\s\[\](){}'\",=][^\[\](){}'\",=]*\(.*\)\s*\]?", s, re.DOTALL))


def parse_output(
    text: Any, *, require_think: bool = True, syntax: Syntax = "auto", strict: bool = False
) -> ParsedOutput:
    """Parse a completion. ``syntax`` picks what a ``<tool_call>`` body may be: ``json`` (Tool-N1: one block,
    a list of calls or one call), ``hermes`` (one call object per block, any number of blocks), ``python``
    (call syntax) or ``auto`` (any of these); untagged Python call lists (BFCL style) are read in ``auto`` and
    ``python`` modes. With
    ``strict`` a completion without its required ``<think>`` block is rejected before any call is read
    (what a reward needs, and faster)."""
    try:
        return _parse_output(text if isinstance(text, str) else "", require_think, syntax, strict)
    except Exception as e:  # noqa: BLE001 - the contract is: never raise on any text
        return ParsedOutput(diagnosis=Diagnosis.BAD_SHAPE, detail=f"unparseable: {type(e).__name__}")


def _parse_output(text: str, require_think: bool, syntax: Syntax, strict: bool = False) -> ParsedOutput:
    if not text or text.isspace():
        return ParsedOutput(diagnosis=Diagnosis.EMPTY, detail="empty completion")
    body = text
    think = None
    think_ok = not require_think
    t_open = text.find(THINK_OPEN)
    if t_open == 0 or (t_open > 0 and text[:t_open].isspace()):
        t_close = text.find(THINK_CLOSE, t_open)
        if t_close < 0:
            return ParsedOutput(
                think=text[t_open + 7 :], diagnosis=Diagnosis.UNCLOSED_THINK, detail="<think> is never closed"
            )
        think = text[t_open + 7 : t_close].strip()
        body = text[t_close + 8 :]
        think_ok = True
    elif strict and require_think:
        return ParsedOutput([], Diagnosis.MISSING_THINK, "no <think> block")
    elif t_open > 0:
        # Text before <think>: the reasoning block is not first. Calls inside it still don't count.
        t_close = text.find(THINK_CLOSE, t_open)
        body = text[:t_open] + ("" if t_close < 0 else text[t_close + 8 :])
    # A tag inside a JSON string (an argument value "<tool_call>") is text; when quotes don't pair up
    # (truncated or non-JSON output), fall back to plain tag matching. One tag of each is the block itself.
    spans = None
    if body.count(CALL_OPEN) > 1 or body.count(CALL_CLOSE) > 1:
        spans = _block_spans(body, outside_strings=True)
    if spans is None:
        spans = _block_spans(body)
    if spans is None:
        return ParsedOutput(think=think, diagnosis=Diagnosis.UNCLOSED_TOOL_CALL, detail="unbalanced <tool_call> tags")
    if not spans:
        stripped = body.strip()
        if syntax in ("auto", "python") and stripped and _looks_like_python_calls(stripped):
            calls, diag, _ = _parse_block(stripped, "python")
            if diag is Diagnosis.OK:
                diag = Diagnosis.OK if think_ok else Diagnosis.MISSING_THINK
                return ParsedOutput(calls, diag, think=think, format_ok=think_ok)
        if think_ok:
            return ParsedOutput([], Diagnosis.NO_CALL, think=think, answer_text=stripped, format_ok=True)
        return ParsedOutput([], Diagnosis.MISSING_THINK, "no <think> block", think, stripped)
    if len(spans) == 1:
        start, end = spans[0]
        calls, diag, detail = _parse_block(body[start + 11 : end], syntax)
        if diag is not Diagnosis.OK:
            return ParsedOutput([], diag, detail, think)
    else:
        calls = []
        for start, end in spans:
            got, diag, detail = _parse_block(body[start + 11 : end], syntax)
            if diag is not Diagnosis.OK:
                return ParsedOutput([], diag, detail, think)
            calls.extend(got)
    if not think_ok:
        return ParsedOutput(calls, Diagnosis.MISSING_THINK, "no <think> block", think)
    first, last = spans[0][0], spans[-1][1] + 12
    if (first and not body[:first].isspace()) or (last < len(body) and not body[last:].isspace()):
        return ParsedOutput(calls, Diagnosis.EXTRA_TEXT, "text outside <tool_call> after </think>", think)
    hermes = syntax in ("auto", "hermes") and all(body[i + 11 : j].lstrip().startswith("{") for i, j in spans)
    return ParsedOutput(calls, Diagnosis.OK, "", think, format_ok=len(spans) == 1 or hermes)


def _block_spans(body: str, outside_strings: bool = False) -> list[tuple[int, int]] | None:
    """(open, close) offsets of each ``<tool_call>…</tool_call>`` block; None when the tags don't pair up. With
    ``outside_strings``, a tag inside a double-quoted string within a block is text, not a tag."""
    spans = []
    pos = 0
    while True:
        i = body.find(CALL_OPEN, pos)
        if i < 0:
            return spans if body.find(CALL_CLOSE, pos) < 0 else None
        if body.find(CALL_CLOSE, pos, i) >= 0:
            return None
        j = _block_end(body, i + len(CALL_OPEN), outside_strings)
        if j < 0:
            return None
        spans.append((i, j))
        pos = j + len(CALL_CLOSE)


_IN_BLOCK = re.compile(r'"(?:[^"\\]|\\.)*"|</?tool_call>', re.S)


def _block_end(body: str, start: int, outside_strings: bool) -> int:
    """Offset of the ``</tool_call>`` closing a block whose content starts at ``start``; -1 when it is missing or
    another ``<tool_call>`` opens first."""
    if not outside_strings:
        j = body.find(CALL_CLOSE, start)
        return -1 if j < 0 or 0 <= body.find(CALL_OPEN, start, j) else j
    for m in _IN_BLOCK.finditer(body, start):
        if m[0] == CALL_OPEN:
            return -1
        if m[0] == CALL_CLOSE:
            return m.start()
    return -1


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
