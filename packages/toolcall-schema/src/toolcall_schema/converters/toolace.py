"""ToolACE (Team-ACE/ToolACE): tools embedded as a JSON list in the system text, calls written as
``[Tool Name(arg="v", n=3)]``. A dialogue yields one record per assistant call turn, with the
conversation before it (as Tool-N1 does)."""

from __future__ import annotations

import json
from typing import Any

from ..callsyntax import CallSyntaxError, parse_calls
from ..model import Message, Record, Tool
from ..pytypes import bfcl_schema_to_json_schema
from ..validate import RecordError
from ._common import check_known_tools, json_field, register

_ROLES = {
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "gpt": "assistant",
    "tool": "tool",
    "function": "tool",
    "observation": "tool",
    "system": "system",
}


def extract_json_list(text: str) -> list[Any]:
    """The first JSON array of objects embedded in free text."""
    dec = json.JSONDecoder()
    i = text.find("[{")
    while i >= 0:
        try:
            value, _ = dec.raw_decode(text, i)
        except ValueError:
            i = text.find("[{", i + 1)
            continue
        if isinstance(value, list) and all(isinstance(v, dict) for v in value):
            return value
        i = text.find("[{", i + 1)
    raise RecordError("no JSON tool list found in the system text", field="system")


def toolace_tool(t: dict[str, Any]) -> Tool:
    if not isinstance(t.get("name"), str):
        raise RecordError("tool without a string 'name'", field="system")
    params = bfcl_schema_to_json_schema(t.get("parameters") or {"type": "object", "properties": {}})
    params.setdefault("type", "object")
    params.setdefault("properties", {})
    return Tool(t["name"], t.get("description") or "", params)


def _is_call_text(text: str) -> bool:
    s = text.strip()
    return s.startswith("[") and s.endswith(")]")


@register("toolace", "Team-ACE ToolACE (tools in the system text, [Name(k=v)] calls)")
def convert_toolace(raw: Any, index: int) -> list[Record]:
    system = json_field(raw, "system", str)
    turns = json_field(raw, "conversations", list)
    tools = [toolace_tool(t) for t in extract_json_list(system)]
    history: list[Message] = []
    records = []
    for k, turn in enumerate(turns):
        if not isinstance(turn, dict) or not isinstance(turn.get("value"), str):
            raise RecordError(f"turn #{k} has no string 'value'", field="conversations")
        role = _ROLES.get(str(turn.get("from", "")).lower())
        if role is None:
            raise RecordError(f"turn #{k}: unknown speaker {turn.get('from')!r}", field="conversations")
        text = turn["value"]
        if role == "assistant" and _is_call_text(text):
            try:
                calls = parse_calls(text)
            except CallSyntaxError as e:
                raise RecordError(f"turn #{k}: unparseable call {text[:80]!r}: {e}", field="conversations") from None
            rid = f"toolace-{raw.get('id', index)}-{k}"
            rec = Record(rid, "toolace", tools, list(history), calls, meta={"turn": k})
            check_known_tools(rec)
            records.append(rec)
            history.append(Message("assistant", "", tool_calls=calls))
        else:
            history.append(Message(role, text))
    if not records:
        raise RecordError("dialogue has no assistant call turn", field="conversations")
    return records
