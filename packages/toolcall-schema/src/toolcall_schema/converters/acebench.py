"""ACEBench (normal and special categories): the dialogue is one ``question`` string of ``user:`` /
``system:`` turns (``system`` is the assistant), answers are keyed by function name (``name_1``,
``name_2`` for repeated calls). A tool listed twice with the same definition is kept once; two different
definitions under one name make the record ambiguous, and it is skipped with that reason. The English
(``data_en``) and Chinese (``data_zh``) folders share one layout. Special categories expect no call:
``irrelevant`` (refuse), ``incomplete`` and ``error_param`` (ask the user; the expected missing/wrong items go
to ``meta``).
Agent categories are scored by executing an environment, not by AST, and are skipped."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..model import Message, Record, Tool, ToolCall
from ..pytypes import bfcl_schema_to_json_schema
from ..validate import RecordError
from ._common import check_known_tools, read_json_items, register

_TURN_RE = re.compile(r"^(user|system|assistant)\s*:\s?", re.MULTILINE | re.IGNORECASE)
_SUFFIX_RE = re.compile(r"^(.*)_\d+$")


def read_acebench(path: Path) -> Iterator[dict[str, Any]]:
    """Question items joined by id with ``possible_answer/<same file name>`` when it exists."""
    path = Path(path)
    answers_path = path.parent / "possible_answer" / path.name
    answers = {}
    if answers_path.exists():  # a bad line there leaves its question without an answer (skipped, with that reason)
        answers = {
            a["id"]: a["ground_truth"]
            for a in read_json_items(answers_path, skip_bad=True)
            if isinstance(a, dict) and "id" in a and "ground_truth" in a
        }
    for item in read_json_items(path, skip_bad=True):
        if isinstance(item, dict) and item.get("id") in answers:
            item = {**item, "ground_truth": answers[item["id"]]}
        yield item


def _maybe_literal(value: Any, field: str) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError) as e:
            raise RecordError(f"not a literal: {e}", field=field) from None
    return value


def _messages(question: str) -> list[Message]:
    marks = list(_TURN_RE.finditer(question))
    if not marks:
        return [Message("user", question.strip())]
    out = []
    for i, mk in enumerate(marks):
        body = question[mk.end() : marks[i + 1].start() if i + 1 < len(marks) else len(question)].strip()
        out.append(Message("user" if mk.group(1).lower() == "user" else "assistant", body))
    return out


def _calls(truth: dict[str, Any], names: set[str], rid: str) -> list[ToolCall]:
    calls = []
    for key, args in truth.items():
        name = key
        if name not in names:
            m = _SUFFIX_RE.match(key)
            if m and m.group(1) in names:
                name = m.group(1)
            else:
                raise RecordError(f"answer calls unknown tool {key!r}", record_id=rid, field="ground_truth")
        if not isinstance(args, dict):
            raise RecordError(f"arguments of {key!r} are not an object", record_id=rid, field="ground_truth")
        calls.append(ToolCall(name, args))
    return calls


@register("acebench", "ACEBench normal/special categories (question string, answers keyed by name)", read_acebench)
def convert_acebench(raw: Any, index: int) -> list[Record]:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise RecordError("item has no string 'id'")
    rid = raw["id"]
    if rid.startswith("agent_"):
        raise RecordError("agent categories are scored by executing an environment, not by AST", record_id=rid)
    functions = _maybe_literal(raw.get("function"), "function")
    if not isinstance(functions, list):
        raise RecordError("missing function list", record_id=rid, field="function")
    tools = []
    seen: dict[str, Any] = {}
    for f in functions:
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            raise RecordError("a function without a string 'name'", record_id=rid, field="function")
        if f["name"] in seen:  # one tool listed twice: the same definition is kept once, two differing ones are
            if seen[f["name"]] != f:  # ambiguous (which one did the gold answer follow?)
                raise RecordError(f"conflicting definitions of tool {f['name']!r}", record_id=rid, field="function")
            continue
        seen[f["name"]] = f
        # ACEBench writes the schema under "parameters", some functions under "arguments"
        schema = f.get("parameters") or f.get("arguments") or {"type": "object", "properties": {}}
        params = bfcl_schema_to_json_schema(schema)
        params["type"] = "object"
        params.setdefault("properties", {})
        tools.append(Tool(f["name"], f.get("description") or "", params))
    question = raw.get("question")
    if not isinstance(question, str):
        raise RecordError("question is not a string", record_id=rid, field="question")
    messages = _messages(question)
    system = []
    if raw.get("time"):
        system.append(f"Current time: {raw['time']}")
    if raw.get("profile"):
        system.append(f"User profile: {raw['profile']}")
    if system:
        messages.insert(0, Message("system", "\n".join(system)))
    category = re.sub(r"_\d+(_\d+)?$", "", rid)
    meta: dict[str, Any] = {"category": category}
    if "ground_truth" not in raw:
        raise RecordError("no possible answer for this id", record_id=rid, field="ground_truth")
    truth = raw["ground_truth"]
    names = {t.name for t in tools}
    answer_alternatives = None
    if category.startswith("special_"):
        answer: list[ToolCall] = []
        meta["expected_feedback"] = truth
    elif isinstance(truth, list):
        options = [_calls(t, names, rid) for t in truth]
        answer, answer_alternatives = options[0], options[1:]
    elif isinstance(truth, dict):
        answer = _calls(truth, names, rid)
    else:
        raise RecordError(f"ground truth is {type(truth).__name__}", record_id=rid, field="ground_truth")
    rec = Record(rid, "acebench", tools, messages, answer, answer_alternatives=answer_alternatives, meta=meta)
    check_known_tools(rec)
    return [rec]
