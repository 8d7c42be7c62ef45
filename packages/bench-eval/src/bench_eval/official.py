"""BFCL's official ``ast_checker`` (from the ``bfcl-eval`` package) beside ours: ``--check-official``.

The package's model registry imports every API client it supports; the checker needs none of them, so that one
module is replaced by a stub before the checker is imported (its only use there is a per-model flag)."""

from __future__ import annotations

import copy
import itertools
import sys
import types
from functools import cache
from typing import Any

from toolcall_schema import Record, ToolCall
from toolcall_schema.converters.bfcl import bfcl_category_path, read_json_items


@cache
def ast_checker():
    """``(ast_checker, Language)`` from bfcl-eval, importable without its API clients."""

    class _Cfg:
        underscore_to_dot = False

    class _Mapping(dict):
        def __missing__(self, key):
            return _Cfg()

    if "bfcl_eval.constants.model_config" not in sys.modules:
        stub = types.ModuleType("bfcl_eval.constants.model_config")
        stub.MODEL_CONFIG_MAPPING = _Mapping()
        sys.modules["bfcl_eval.constants.model_config"] = stub
    from bfcl_eval.constants.enums import Language
    from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker as checker

    return checker, Language


@cache
def raw_category(category: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(function docs by id, possible answers by id) exactly as BFCL ships them."""
    path = bfcl_category_path(category)
    functions = {x["id"]: x["function"] for x in read_json_items(path)}
    truth_path = path.parent / "possible_answer" / path.name
    truth = {x["id"]: x["ground_truth"] for x in read_json_items(truth_path)} if truth_path.exists() else {}
    return functions, truth


def official_valid(record: Record, calls: list[ToolCall]) -> bool:
    """The official checker's verdict on decoded ``calls`` for a BFCL AST record."""
    checker, Language = ast_checker()
    category = record.meta["category"]
    functions, truth = raw_category(category)
    lang = {"python": Language.PYTHON, "java": Language.JAVA, "javascript": Language.JAVASCRIPT}[
        record.meta.get("language", "python")
    ]
    output = [{c.name: copy.deepcopy(c.arguments)} for c in calls]
    try:
        result = checker(
            copy.deepcopy(functions[record.id]),
            output,
            copy.deepcopy(truth[record.id]),
            lang,
            category,
            "gorilla-openfunctions-v2",
        )
    except Exception:  # noqa: BLE001 - the official checker raises on some malformed outputs: that is a fail
        return False
    return bool(result["valid"])


def disagreements(records: list[Record], predictions: dict[str, str]) -> list[dict[str, Any]]:
    """Every entry where our verdict and the official checker's differ on the decoded output (AST categories:
    ``ast_checker``; multi-turn: ``multi_turn_checker``)."""
    from toolcall_reward.bfcl import match_bfcl

    from .bfcl import IRRELEVANCE, decode
    from .bfcl_multi_turn import official_disagreements

    out = official_disagreements(records, predictions)
    for r in records:
        cat = r.meta.get("category", "")
        if r.source != "bfcl" or cat in IRRELEVANCE or cat == "live_relevance" or r.id not in predictions:
            continue
        calls, _ = decode(predictions[r.id])
        if not calls:
            continue  # neither checker sees calls: both fail
        ours = match_bfcl(calls, r.alternatives, r.tools, r.meta.get("language", "python"), greedy=True).valid
        theirs = official_valid(r, calls)
        if ours != theirs:
            out.append({"id": r.id, "ours": ours, "official": theirs, "output": predictions[r.id][:500]})
    return out


_RUNS = itertools.count()


def official_multi_turn_valid(record: Record, steps: list[list[list[Any]]]) -> bool:
    """BFCL's own ``multi_turn_checker`` verdict on the decoded calls ``steps`` (turns → steps → calls, each a
    :class:`~toolcall_schema.multi_turn.Call`, a ``ToolCall`` or a call string) of a ``bfcl_multi_turn`` record,
    as its runner decides: a trajectory with fewer turns than the ground truth fails. Each call gets a fresh model
    name, so BFCL's executor (which caches instances in module globals by that name) never reuses state; its
    instances are dropped afterwards."""
    from bfcl_eval.eval_checker.multi_turn_eval import multi_turn_utils
    from bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker import multi_turn_checker
    from toolcall_schema.converters.bfcl_multi_turn import to_bfcl_multi_turn
    from toolcall_schema.multi_turn import as_call

    entry, answer = to_bfcl_multi_turn(record)
    truth = answer["ground_truth"]
    if len(steps) != len(truth):
        return False
    decoded = [[[as_call(c).source() for c in step] for step in turn if step] for turn in steps]
    name = f"toolcallrl{next(_RUNS)}"
    try:
        result = multi_turn_checker(decoded, truth, copy.deepcopy(entry), record.meta["category"], name)
    except Exception:  # noqa: BLE001 - the official checker raising on an output is a fail
        return False
    finally:
        for key in [k for k in vars(multi_turn_utils) if k.startswith(name + "_")]:
            delattr(multi_turn_utils, key)
    return bool(result["valid"])
