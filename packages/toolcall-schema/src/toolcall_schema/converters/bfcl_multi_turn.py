"""BFCL v4 multi-turn categories (``multi_turn_base``, ``_miss_func``, ``_miss_param``, ``_long_context``).

An entry is a conversation of user turns over stateful backends (a file system, trading, travel...). The record
keeps, in ``meta``, every field of the entry under BFCL's own name (``question``: the user messages of every
turn; ``initial_config``; ``involved_classes``; ``path``; ``missed_function``: functions withheld until a later
turn; ``excluded_function``) and the possible answer's ``ground_truth`` (the calls of each turn, as Python call
strings), so :func:`to_bfcl_multi_turn` gives the original entry and answer back. ``tools`` are the function
docs of the involved classes on offer at the first turn; ``meta.withheld_tools`` holds, per turn, those BFCL adds
then. ``messages`` is the first turn.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from ..model import Message, Record, Tool
from ..pytypes import bfcl_schema_to_json_schema
from ..validate import RecordError
from ._common import json_field, register
from .bfcl import bfcl_data_dir, category_of, read_bfcl

MULTI_TURN_CATEGORIES = (
    "multi_turn_base",
    "multi_turn_miss_func",
    "multi_turn_miss_param",
    "multi_turn_long_context",
)
# The entry's fields, in BFCL's order, that the record keeps in ``meta`` under the same names.
ENTRY_FIELDS = ("question", "initial_config", "path", "involved_classes", "missed_function", "excluded_function")


def multi_turn_path(category: str) -> Path:
    """Path of a multi-turn category's question file in the installed ``bfcl-eval``."""
    if category not in MULTI_TURN_CATEGORIES:
        raise ValueError(
            f"unknown BFCL multi-turn category {category!r}; choose from {', '.join(MULTI_TURN_CATEGORIES)}"
        )
    return bfcl_data_dir() / f"BFCL_v4_{category}.json"


@cache
def class_function_docs(class_name: str) -> tuple[dict[str, Any], ...]:
    """BFCL's function docs of one backend class (``multi_turn_func_doc/*.json`` in ``bfcl-eval``)."""
    from bfcl_eval.constants.executable_backend_config import MULTI_TURN_FUNC_DOC_FILE_MAPPING

    if class_name not in MULTI_TURN_FUNC_DOC_FILE_MAPPING:
        raise KeyError(class_name)
    path = bfcl_data_dir() / "multi_turn_func_doc" / MULTI_TURN_FUNC_DOC_FILE_MAPPING[class_name]
    with path.open(encoding="utf-8") as f:
        return tuple(json.loads(line) for line in f if line.strip())


def to_tool(doc: dict[str, Any]) -> Tool:
    params = bfcl_schema_to_json_schema(doc.get("parameters") or {"type": "dict", "properties": {}}, "python")
    params.setdefault("type", "object")
    params.setdefault("properties", {})
    return Tool(doc["name"], doc.get("description") or "", params)


def read_multi_turn(path: Path) -> Iterator[dict[str, Any]]:
    """Question items with their ``ground_truth`` attached (a category name finds the installed file)."""
    path = Path(path)
    if not path.exists() and path.name in MULTI_TURN_CATEGORIES:
        path = multi_turn_path(path.name)
    return read_bfcl(path)


@register("bfcl_multi_turn", "BFCL v4 multi-turn (question + possible_answer, function docs by class)", read_multi_turn)
def convert_bfcl_multi_turn(raw: Any, index: int) -> list[Record]:
    rid = json_field(raw, "id", str)
    question = json_field(raw, "question", list)
    classes = json_field(raw, "involved_classes", list)
    truth = raw.get("ground_truth")
    if not isinstance(truth, list) or len(truth) != len(question):
        raise RecordError("ground truth is not one list of calls per turn", record_id=rid, field="ground_truth")
    if not all(isinstance(turn, list) and all(isinstance(c, str) for c in turn) for turn in truth):
        raise RecordError("a turn's ground truth is not a list of call strings", record_id=rid, field="ground_truth")
    for turn in question:
        if not isinstance(turn, list) or any(not isinstance(m, dict) or m.get("role") != "user" for m in turn):
            raise RecordError("a turn is not a list of user messages", record_id=rid, field="question")
    if not question or not question[0]:
        raise RecordError("the first turn has no user message", record_id=rid, field="question")
    docs: list[dict[str, Any]] = []
    for name in classes:
        try:
            docs.extend(class_function_docs(name))
        except KeyError:
            raise RecordError(f"unknown backend class {name!r}", record_id=rid, field="involved_classes") from None
    missed = raw.get("missed_function") or {}
    withheld = {str(turn): names for turn, names in missed.items()}
    held = {n for names in withheld.values() for n in names}
    by_name = {d["name"]: d for d in docs}
    unknown = sorted(held - set(by_name))
    if unknown:
        raise RecordError(f"withheld functions not in the docs: {unknown}", record_id=rid, field="missed_function")
    meta: dict[str, Any] = {"category": category_of(rid), "language": "python"}
    meta.update({k: raw[k] for k in ENTRY_FIELDS if k in raw})
    extra = {k: v for k, v in raw.items() if k not in ("id", "ground_truth", *ENTRY_FIELDS)}
    if extra:
        meta["entry_extra"] = extra
    meta["ground_truth"] = truth
    meta["withheld_tools"] = {t: [to_tool(by_name[n]).to_dict() for n in names] for t, names in withheld.items()}
    tools = [to_tool(d) for d in docs if d["name"] not in held]
    messages = [Message("user", m.get("content") or "") for m in question[0]]
    return [Record(rid, "bfcl_multi_turn", tools, messages, [], meta=meta)]


def to_bfcl_multi_turn(record: Record) -> tuple[dict[str, Any], dict[str, Any]]:
    """The record back as BFCL's (question entry, possible-answer entry)."""
    entry = {"id": record.id, **{k: record.meta[k] for k in ENTRY_FIELDS if k in record.meta}}
    entry.update(record.meta.get("entry_extra", {}))
    return entry, {"id": record.id, "ground_truth": record.meta["ground_truth"]}


def user_turns(record: Record) -> list[list[dict[str, Any]]]:
    """The user messages of each turn (empty where BFCL adds withheld functions instead)."""
    return record.meta["question"]
