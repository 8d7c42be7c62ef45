"""OpenAI chat format (``tools`` + ``messages`` whose assistant turns carry ``tool_calls``) and Hermes
(``<tool_call>`` JSON inside assistant text). The last assistant turn is the one to predict."""

from __future__ import annotations

import json
from typing import Any

from ..model import Message, Record, Tool, ToolCall
from ..parse import Diagnosis, parse_output
from ..validate import RecordError
from ._common import check_known_tools, json_field, register


def _tools(raw: dict[str, Any]) -> list[Tool]:
    out = []
    for i, t in enumerate(json_field(raw, "tools", list)):
        fn = t.get("function", t) if isinstance(t, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise RecordError(f"tool #{i} has no function name", field="tools")
        params = fn.get("parameters") or {"type": "object", "properties": {}}
        out.append(Tool(fn["name"], fn.get("description") or "", params))
    return out


def _openai_calls(tool_calls: Any, where: str) -> list[ToolCall]:
    calls = []
    for i, tc in enumerate(tool_calls or []):
        fn = tc.get("function", tc) if isinstance(tc, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise RecordError(f"{where}: tool call #{i} has no name", field="messages")
        args = fn.get("arguments", {})
        if isinstance(args, str):
            try:
                args = json.loads(args) if args.strip() else {}
            except ValueError as e:
                raise RecordError(f"{where}: tool call #{i} arguments are not JSON: {e}", field="messages") from None
        if not isinstance(args, dict):
            raise RecordError(f"{where}: tool call #{i} arguments are not an object", field="messages")
        calls.append(ToolCall(fn["name"], args))
    return calls


def _split_last_assistant(raw: Any, hermes: bool) -> tuple[list[Message], list[ToolCall]]:
    msgs = json_field(raw, "messages", list)
    out: list[Message] = []
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant", "tool"):
            raise RecordError(f"message #{i} has no valid role", field="messages")
        content = m.get("content") or ""
        if not isinstance(content, str):
            raise RecordError(f"message #{i}: content is not a string", field="messages")
        calls = _openai_calls(m.get("tool_calls"), f"message #{i}")
        if hermes and m["role"] == "assistant" and "<tool_call>" in content:
            parsed = parse_output(content, require_think=False, syntax="json")
            if parsed.diagnosis not in (Diagnosis.OK, Diagnosis.EXTRA_TEXT):
                raise RecordError(f"message #{i}: {parsed.diagnosis.value}: {parsed.detail}", field="messages")
            calls, content = parsed.calls, ""
        out.append(Message(m["role"], content, calls, m.get("name")))
    last = max((i for i, m in enumerate(out) if m.role == "assistant"), default=None)
    if last is None:
        raise RecordError("no assistant turn to predict", field="messages")
    return out[:last], out[last].tool_calls


def _convert(raw: Any, index: int, source: str, hermes: bool) -> list[Record]:
    tools = _tools(raw)
    history, answer = _split_last_assistant(raw, hermes)
    if not history:
        raise RecordError("nothing before the assistant turn", field="messages")
    rec = Record(f"{source}-{raw.get('id', index)}", source, tools, history, answer)
    check_known_tools(rec)
    return [rec]


@register("openai", "OpenAI chat: tools + messages with tool_calls (last assistant turn is the answer)")
def convert_openai(raw: Any, index: int) -> list[Record]:
    return _convert(raw, index, "openai", hermes=False)


@register("hermes", "Hermes: <tool_call>{json}</tool_call> blocks in assistant text")
def convert_hermes(raw: Any, index: int) -> list[Record]:
    return _convert(raw, index, "hermes", hermes=True)
