"""BFCL (Berkeley Function Calling Leaderboard) AST categories, from the ``bfcl-eval`` package or files.

A question file ``BFCL_v4_<category>.json`` pairs by id with ``possible_answer/BFCL_v4_<category>.json``.
The possible answers are kept verbatim in ``Record.alternatives``; ``answer`` takes each argument's
first acceptable value (an optional argument whose first alternative is ``""`` is left out).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..model import Message, Record, Tool, ToolCall
from ..pytypes import bfcl_schema_to_json_schema
from ..validate import RecordError
from ._common import json_field, read_json_items, register

AST_CATEGORIES = (
    "simple_python",
    "simple_java",
    "simple_javascript",
    "multiple",
    "parallel",
    "parallel_multiple",
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
    "irrelevance",
    "live_irrelevance",
    "live_relevance",
)


def bfcl_data_dir() -> Path:
    """The data folder of the installed ``bfcl-eval`` package, found without importing it."""
    spec = importlib.util.find_spec("bfcl_eval")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the 'bfcl-eval' package is not installed (pip install bfcl-eval --no-deps)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def bfcl_category_path(category: str) -> Path:
    """Path of a category's question file in the installed package."""
    if category not in AST_CATEGORIES:
        raise ValueError(f"unknown BFCL AST category {category!r}; choose from {', '.join(AST_CATEGORIES)}")
    return bfcl_data_dir() / f"BFCL_v4_{category}.json"


def category_of(record_id: str) -> str:
    """``live_simple_3-2-1`` → ``live_simple``."""
    base = record_id.split("-", 1)[0]
    return base.rsplit("_", 1)[0] if base.rsplit("_", 1)[-1].isdigit() else base


def language_of(category: str) -> str:
    return "java" if category.endswith("_java") else "javascript" if category.endswith("_javascript") else "python"


def read_bfcl(path: Path) -> Iterator[dict[str, Any]]:
    """Question items with their ``ground_truth`` attached (``None`` where the category has none)."""
    path = Path(path)
    if not path.exists() and path.name in AST_CATEGORIES:
        path = bfcl_category_path(path.name)
    answers_path = path.parent / "possible_answer" / path.name
    answers: dict[str, Any] = {}
    if answers_path.exists():
        for item in read_json_items(answers_path, skip_bad=True):  # a bad line: its question has no answer
            if isinstance(item, dict) and "id" in item and "ground_truth" in item:
                answers[item["id"]] = item["ground_truth"]
    for item in read_json_items(path, skip_bad=True):
        if isinstance(item, dict) and answers:
            item = {**item, "ground_truth": answers.get(item.get("id"))}
        yield item


def _first_value(alts: list[Any], schema: dict[str, Any] | None, nested: bool) -> Any:
    """The first acceptable value of one argument. At the top level (as in BFCL's checker, one level
    deep only) dict and list-of-dict values are themselves in possible-answer form."""
    value = alts[0]
    schema = schema or {}
    is_map = schema.get("type") == "object" or schema.get("x-bfcl-type") in ("HashMap", "Hashtable")
    if nested and isinstance(value, dict) and is_map and all(isinstance(v, list) for v in value.values()):
        return first_arguments(value, schema.get("properties"), nested=False)
    items = schema.get("items") or {}
    if nested and isinstance(value, list) and items.get("type") == "object" and all(isinstance(v, dict) for v in value):
        return [first_arguments(v, items.get("properties"), nested=False) for v in value]
    return value


def first_arguments(
    arg_alts: dict[str, list[Any]],
    properties: dict[str, Any] | None,
    *,
    nested: bool = True,
    quirks: list[str] | None = None,
    required: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """Arguments from a possible-answer mapping, taking each first alternative; ``""`` first = omitted,
    unless the parameter is required (then the first real value). An argument with no acceptable value at
    all (a BFCL data quirk) is left out and noted in ``quirks``."""
    out = {}
    for name, alts in arg_alts.items():
        if not isinstance(alts, list):
            raise RecordError(f"argument {name!r}: acceptable values are not a list", field="ground_truth")
        if not alts:
            if quirks is not None:
                quirks.append(f"argument {name!r} has an empty list of acceptable values")
            continue
        if alts[0] == "":
            real = [a for a in alts if a != ""]
            if name not in required or not real:
                continue
            alts = real
        out[name] = _first_value(alts, (properties or {}).get(name), nested)
    return out


def _fmt_float(v: float) -> str:
    text = repr(float(v))
    if "e" in text or "E" in text:
        text = format(float(v), "f").rstrip("0")
        text = text + "0" if text.endswith(".") else text
    return text


def _declared(schema: dict[str, Any] | None) -> str:
    schema = schema or {}
    return schema.get("x-bfcl-type") or schema.get("type") or "any"


def java_literal(value: Any, schema: dict[str, Any] | None) -> Any:
    """A gold value written as the Java source a model must produce for BFCL's checker to accept it."""
    declared = _declared(schema)
    items = _declared((schema or {}).get("items")) if isinstance((schema or {}).get("items"), dict) else None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if declared == "long" and isinstance(value, int):
        return f"{value}L"
    if declared == "float" and isinstance(value, (int, float)):
        return _fmt_float(value) + "f"
    if isinstance(value, (int, float)):
        return _fmt_float(value) if declared == "double" or isinstance(value, float) else str(value)
    if isinstance(value, list):
        if declared == "Array":  # BFCL reads typed array elements as they stand: String items unquoted
            elems = [v if isinstance(v, str) else _java_element(v, items) for v in value]
            java_t = {
                "integer": "int",
                "long": "long",
                "double": "double",
                "float": "float",
                "boolean": "boolean",
                "String": "String",
                "char": "char",
            }.get(items or "", "Object")
            return f"new {java_t}[]{{{', '.join(elems)}}}"
        elems = [_java_element(v, items) for v in value]
        return f"new ArrayList<>(Arrays.asList({', '.join(elems)}))"
    if isinstance(value, dict):
        puts = " ".join(f'put("{k}", {_java_element(v, None, quote=True)});' for k, v in value.items())
        return f"new HashMap<String, Object>() {{{{ {puts} }}}}"
    return value


def _java_element(value: Any, item_type: str | None, quote: bool = False) -> str:
    if isinstance(value, str):
        return f'"{value}"' if (quote or item_type in ("String", None)) else value
    lit = java_literal(value, {"type": item_type} if item_type else None)
    return lit if isinstance(lit, str) else str(lit)


def js_literal(value: Any, schema: dict[str, Any] | None) -> Any:
    """A gold value written as the JavaScript source a model must produce for BFCL's checker."""
    declared = _declared(schema)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if declared == "Bigint" and isinstance(value, int):
        return f"{value}n"
    if isinstance(value, (int, float)):
        return _fmt_float(value) if declared == "float" or isinstance(value, float) else str(value)
    return _js_source(value)


def _js_source(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_js_source(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_js_source(v)}" for k, v in value.items()) + "}"
    return str(value)


def to_bfcl_ground_truth(alternatives: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``Record.alternatives`` back in BFCL's possible-answer form."""
    return [{a["name"]: a["arguments"]} for a in alternatives]


@register("bfcl", "Berkeley Function Calling Leaderboard (question + function + possible_answer)", read_bfcl)
def convert_bfcl(raw: Any, index: int) -> list[Record]:
    rid = json_field(raw, "id", str)
    category = category_of(rid)
    language = language_of(category)
    functions = json_field(raw, "function", list)
    tools = []
    for f in functions:
        params = bfcl_schema_to_json_schema(f.get("parameters") or {"type": "dict", "properties": {}}, language)
        params.setdefault("type", "object")
        params.setdefault("properties", {})
        tools.append(Tool(f["name"], f.get("description") or "", params))
    turns = json_field(raw, "question", list)
    messages = []
    for turn in turns:
        for m in turn if isinstance(turn, list) else [turn]:
            if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant", "tool"):
                raise RecordError("question message without a valid role", record_id=rid, field="question")
            messages.append(Message(m["role"], m.get("content") or ""))
    meta: dict[str, Any] = {"category": category, "language": language}
    truth = raw.get("ground_truth")
    if truth is None:
        if category in ("irrelevance", "live_irrelevance"):
            return [Record(rid, "bfcl", tools, messages, [], meta=meta)]
        if category == "live_relevance":
            meta["any_call_is_correct"] = True
            return [Record(rid, "bfcl", tools, messages, [], meta=meta)]
        raise RecordError("no possible answer for this id", record_id=rid, field="ground_truth")
    by_name = {t.name: t for t in tools}
    alternatives, answer, quirks = [], [], []
    for entry in truth:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise RecordError("ground-truth entry is not {name: arguments}", record_id=rid, field="ground_truth")
        ((name, arg_alts),) = entry.items()
        if name not in by_name:
            raise RecordError(f"answer calls unknown tool {name!r}", record_id=rid, field="ground_truth")
        alternatives.append({"name": name, "arguments": arg_alts})
        params = by_name[name].parameters
        props = params.get("properties") or {}
        args = first_arguments(arg_alts, props, quirks=quirks, required=params.get("required") or ())
        if language in ("java", "javascript"):  # the model must write source code for these categories
            write = java_literal if language == "java" else js_literal
            args = {k: write(v, props.get(k)) for k, v in args.items()}
        answer.append(ToolCall(name, args))
    if quirks:
        meta["quirks"] = quirks
    return [Record(rid, "bfcl", tools, messages, answer, alternatives=alternatives, meta=meta)]
