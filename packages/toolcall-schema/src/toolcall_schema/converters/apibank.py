"""API-Bank level-1/2 test sets: API descriptions (one JSON per line) in ``instruction``, the dialogue in
``input`` (``User:``/``AI:``/``API-Request:`` lines) and ``expected_output`` = ``API-Request: [Name(k='v')]``.

In level 2 the instruction describes only ``ToolSearcher``; the tool to call is described in the dialogue, in
the result of an earlier ``API-Request: [ToolSearcher(keywords='…')]->{'name': …, 'input_parameters': …}``
(a Python-literal dict, or a list of them). Those results become tools of the record. A few level-2 dialogues
call a tool no search ever returned (``QueryBalance``: ``GetUserToken`` straight away); its definition is then
taken from API-Bank's API list (``data/all_apis.csv`` beside ``test-data/``, read by :func:`read_apibank`) and
the record is marked in ``meta.quirks``.

API-Bank passes every argument as a string. A few gold requests nest unescaped quotes
(``attendees='['A', 'B']'``); those are read by splitting at top-level ``, key=`` boundaries, exactly as
API-Bank's own evaluator reads them, and marked ``meta.lenient_parse``.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..callsyntax import CallSyntaxError, parse_calls
from ..model import Message, Record, Tool, ToolCall
from ..pytypes import pytype_to_schema
from ..validate import RecordError
from ._common import check_known_tools, json_field, object_schema, read_json_items, register

_REQ_RE = re.compile(r"API-Request:\s*(\[.*\])\s*$", re.DOTALL)
_LENIENT_RE = re.compile(r"^\[\s*(\w+)\((.*)\)\s*\]$", re.DOTALL)
_KEY_RE = re.compile(r"(?:^|,\s*)(\w+)\s*=")
_TURN_RE = re.compile(r"^(User|AI|API-Request|Expected output|Generate API Request)\s*:\s?", re.MULTILINE)


def apibank_tool(desc: dict[str, Any]) -> Tool:
    props, required = {}, []
    for pname, spec in (desc.get("input_parameters") or {}).items():
        t = spec.get("type", "") if isinstance(spec, dict) else ""
        schema, optional = pytype_to_schema(t.replace("(", "[").replace(")", "]"))
        if isinstance(spec, dict) and spec.get("description"):
            schema["description"] = spec["description"]
        props[pname] = schema
        if not optional:
            required.append(pname)
    return Tool(desc["name"], desc.get("description") or "", object_schema(props, required))


def parse_tools(instruction: str) -> list[Tool]:
    """Every line of the instruction that is a JSON API description."""
    tools = []
    for line in instruction.splitlines():
        line = line.strip()
        if line.startswith("{") and '"name"' in line:
            try:
                desc = json.loads(line)
            except ValueError as e:
                raise RecordError(f"API description is not valid JSON: {e}", field="instruction") from None
            if isinstance(desc, dict) and isinstance(desc.get("name"), str):
                tools.append(apibank_tool(desc))
    if not tools:
        raise RecordError("no API descriptions found", field="instruction")
    return tools


def searched_tools(messages: list[Message]) -> list[Tool]:
    """Tools described by the results of ``ToolSearcher`` requests in the dialogue."""
    tools = []
    for call_msg, result in zip(messages, messages[1:]):
        if result.role != "tool" or not any(c.name == "ToolSearcher" for c in call_msg.tool_calls):
            continue
        try:
            found = ast.literal_eval(result.content)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue  # a search that returned text, not a tool description
        for desc in found if isinstance(found, list) else [found]:
            if isinstance(desc, dict) and isinstance(desc.get("name"), str) and "input_parameters" in desc:
                tools.append(apibank_tool(desc))
    return tools


def read_api_list(path: Path) -> dict[str, dict[str, Any]]:
    """API-Bank's ``all_apis.csv``: class name → ``{name, description, input_parameters}`` (from the Python
    assignments in its ``api_info`` column)."""
    apis: dict[str, dict[str, Any]] = {}
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            name, info = row.get("类名") or "", row.get("api_info") or ""
            desc: dict[str, Any] = {"name": name}
            try:
                for node in ast.parse(info).body:
                    if isinstance(node, ast.Assign) and len(node.targets) == 1:
                        target = getattr(node.targets[0], "id", "")
                        if target in ("description", "input_parameters"):
                            desc[target] = ast.literal_eval(node.value)
            except (ValueError, SyntaxError):
                continue  # one API of the list is not valid Python; the test sets never call it
            if name and isinstance(desc.get("input_parameters"), dict):
                apis[name] = desc
    return apis


def read_apibank(path: Path) -> Iterator[Any]:
    """The test items; with API-Bank's API list (``data/all_apis.csv`` in the folder above ``test-data/`` or
    beside the file) attached to each as ``_api_list``, for tools a dialogue calls without describing them."""
    path = Path(path)
    lists = [p / "data" / "all_apis.csv" for p in (path.parent.parent, path.parent)]
    found = next((p for p in lists if p.exists()), None)
    api_list = read_api_list(found) if found else None
    for item in read_json_items(path, skip_bad=True):
        yield {**item, "_api_list": api_list} if api_list and isinstance(item, dict) else item


def lenient_call(text: str) -> ToolCall:
    """``[Name(k='v', k2='[...'...']')]`` split at ``, key=`` boundaries, quotes stripped."""
    m = _LENIENT_RE.match(text.strip())
    if not m:
        raise CallSyntaxError("not a single API call")
    name, args = m.group(1), m.group(2)
    keys = list(_KEY_RE.finditer(args))
    if args.strip() and (not keys or keys[0].start() != 0):
        raise CallSyntaxError("arguments are not key=value pairs")
    arguments: dict[str, Any] = {}
    for i, k in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(args)
        value = args[k.end() : end].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            arguments[k.group(1)] = value[1:-1]
        else:
            try:
                arguments[k.group(1)] = ast.literal_eval(value)
            except (ValueError, SyntaxError) as e:
                raise CallSyntaxError(f"argument {k.group(1)!r}: {e}") from None
    return ToolCall(name, arguments)


def parse_request(text: str) -> tuple[list[ToolCall], bool]:
    """Calls of an ``API-Request: [...]`` line, and whether the lenient reading was needed."""
    m = _REQ_RE.search(text.strip())
    if not m:
        raise CallSyntaxError("no 'API-Request: [...]'")
    try:
        return parse_calls(m.group(1)), False
    except CallSyntaxError:
        return [lenient_call(m.group(1))], True


def parse_dialogue(text: str) -> list[Message]:
    """``User:``/``AI:``/``API-Request:`` lines → messages (API results become tool turns)."""
    messages: list[Message] = []
    marks = list(_TURN_RE.finditer(text))
    for i, mk in enumerate(marks):
        body = text[mk.end() : marks[i + 1].start() if i + 1 < len(marks) else len(text)].strip()
        kind = mk.group(1)
        if kind == "User":
            messages.append(Message("user", body))
        elif kind == "AI":
            messages.append(Message("assistant", body))
        elif kind == "API-Request":
            req, _, result = body.partition("->")
            try:
                calls, _ = parse_request("API-Request: " + req.strip())
            except CallSyntaxError as e:
                raise RecordError(f"dialogue API request {req[:60]!r}: {e}", field="input") from None
            messages.append(Message("assistant", "", tool_calls=calls))
            messages.append(Message("tool", result.strip(), name=calls[0].name if calls else None))
    return messages


@register("apibank", "API-Bank level-1/2 test data (instruction/input/expected_output)", read_apibank)
def convert_apibank(raw: Any, index: int) -> list[Record]:
    rid = f"apibank-{raw.get('file', 'x')}-{raw.get('id', index)}" if isinstance(raw, dict) else None
    try:
        return [_convert_apibank(raw, rid)]
    except RecordError as e:
        e.record_id = e.record_id or rid
        raise


def _convert_apibank(raw: Any, rid: str | None) -> Record:
    instruction = json_field(raw, "instruction", str)
    dialogue = json_field(raw, "input", str)
    expected = json_field(raw, "expected_output", str)
    tools = parse_tools(instruction)
    messages = parse_dialogue(dialogue)
    if not messages:
        raise RecordError("empty dialogue", field="input")
    try:
        calls, lenient = parse_request(expected)
    except CallSyntaxError as e:
        raise RecordError(f"unparseable API request {expected[:80]!r}: {e}", field="expected_output") from None
    meta: dict[str, Any] = {"file": raw.get("file", "")}
    for tool in searched_tools(messages):
        if tool.name not in {t.name for t in tools}:
            tools.append(tool)
    api_list = raw.get("_api_list") or {}
    for call in calls:
        if call.name not in {t.name for t in tools} and call.name in api_list:
            tools.append(apibank_tool(api_list[call.name]))
            meta.setdefault("quirks", []).append(
                f"{call.name} is described nowhere in the dialogue; its definition is from API-Bank's API list"
            )
    level = re.search(r"level-(\d)", str(raw.get("file", "")))
    if level:
        meta["level"] = int(level.group(1))
    if lenient:
        meta["lenient_parse"] = True
    rec = Record(rid or "", "apibank", tools, messages, calls, meta=meta)
    check_known_tools(rec)
    return rec
