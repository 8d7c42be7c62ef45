"""BFCL possible-answer matching: the AST checker's semantics, reimplemented.

A gold call is ``{"name": ..., "arguments": {arg: [accepted values]}}``; ``""`` among the accepted values
means the argument may be omitted; dict (and list-of-dict) values are themselves in possible-answer form,
one level deep. Strings compare after BFCL's normalisation (spaces and ``,./-_*^`` removed, lower case,
``'`` → ``"``). Types are BFCL's: a value's exact Python type must be the declared one (``10.0`` is not an
``integer``, ``True`` not an ``integer``) or that of the accepted values (a variable name); ``int`` is accepted
for ``float``. Java/JavaScript arguments are source strings read by :mod:`toolcall_reward.literals`. Parallel
calls are paired first-fit (``greedy=True``, BFCL's order) or by maximum bipartite matching (``greedy=False``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from toolcall_schema import Tool, ToolCall

from .literals import JAVA_PY_TYPES, JS_PY_TYPES, Unsupported, java_value, js_value

PY_TYPES: dict[str, type] = {
    "string": str,
    "integer": int,
    "float": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
    "any": str,
}
_FROM_JSON = {
    "object": "dict",
    "number": "float",
    "array": "array",
    "string": "string",
    "integer": "integer",
    "boolean": "boolean",
}
_STRIP = re.compile(r"[ ,./\-_*^]")


@dataclass(frozen=True, slots=True)
class Verdict:
    valid: bool
    error: str = ""


OK = Verdict(True)


def standardize(s: str) -> str:
    """BFCL's string normalisation."""
    return _STRIP.sub("", s).lower().replace("'", '"')


def bfcl_type(schema: dict[str, Any] | None) -> str:
    """The BFCL type name of a parameter schema (kept in ``x-bfcl-type`` by toolcall-schema's converter)."""
    if not schema:
        return "any"
    if "x-bfcl-type" in schema:
        return schema["x-bfcl-type"]
    t = schema.get("type")
    return _FROM_JSON.get(t, "any") if isinstance(t, str) else "any"


def _std_list(alts: Any) -> list[Any]:
    return [standardize(a) if type(a) is str else a for a in alts]


def _check_dict(value: Any, alts: list[Any]) -> Verdict:
    verdict = Verdict(False, "value_error:dict")
    for alt in alts:
        if alt == "":
            continue
        if not isinstance(value, dict) or not isinstance(alt, dict):
            return Verdict(False, "value_error:dict")
        ok = True
        for key, v in value.items():
            if key not in alt or not isinstance(alt[key], list):
                ok, verdict = False, Verdict(False, "value_error:dict_key")
                break
            if (standardize(v) if type(v) is str else v) not in _std_list(alt[key]):
                ok, verdict = False, Verdict(False, "value_error:dict_value")
                break
        if ok:
            for key, accepted in alt.items():
                if key not in value and "" not in accepted:
                    ok, verdict = False, Verdict(False, "value_error:dict_key")
                    break
        if ok:
            return OK
    return verdict


def _check_list_of_dicts(value: Any, alts: list[Any]) -> Verdict:
    verdict = Verdict(False, "value_error:list_dict")
    for alt in alts:
        if not isinstance(value, list) or not hasattr(alt, "__len__") or len(value) != len(alt):
            verdict = Verdict(False, "value_error:list_dict_count")
            continue
        if all(_check_dict(v, [a]).valid for v, a in zip(value, alt)):
            return OK
        verdict = Verdict(False, "value_error:list_dict")
    return verdict


def _check_list(value: list[Any], alts: list[Any]) -> Verdict:
    std_value = _std_list(value)
    std_alts = []
    for alt in alts:
        if isinstance(alt, (list, tuple, str)):  # "" (omittable) reads as an empty list, as in BFCL
            std_alts.append(_std_list(alt))
        else:
            return Verdict(False, "value_error:list/tuple")
    return OK if std_value in std_alts else Verdict(False, "value_error:list/tuple")


def _answer_type(alts: list[Any]) -> type | None:
    """The type of the first non-omitted accepted value (BFCL writes a variable's name there as a string)."""
    return next((type(a) for a in alts if a != ""), None)


def type_check(value: Any, alts: list[Any], expected: type, nested: type | None) -> tuple[bool, bool]:
    """BFCL's type rule: ``(valid, is_variable)``. The value's exact Python type must be the declared one
    (so ``10.0`` is no ``integer`` and ``True`` no ``integer``), or the type of the accepted values (a variable
    name given as a string); a declared array checks each item against the item type, one level deep, where
    any accepted value that is not a list (``""``) passes the items unchecked."""
    answer_type = _answer_type(alts)
    is_variable = answer_type is not None and answer_type is not expected
    if type(value) is expected:
        if nested is None:
            return True, is_variable
        for alt in alts:
            if type(alt) is not list or all(type_check(item, alt, nested, None)[0] for item in value):
                return True, is_variable
        return False, is_variable
    return (answer_type is not None and type(value) is answer_type), True


def check_call(tool: Tool | None, call: ToolCall, gold: dict[str, Any], language: str = "python") -> Verdict:
    """One predicted call against one gold call in possible-answer form."""
    if tool is None:
        return Verdict(False, "no_function_description")
    if call.name != gold["name"]:
        return Verdict(False, "wrong_func_name")
    alts_by_arg: dict[str, list[Any]] = gold["arguments"]
    props: dict[str, Any] = tool.parameters.get("properties") or {}
    for req in tool.parameters.get("required") or []:
        if req not in call.arguments:
            return Verdict(False, "missing_required")
    for param, value in call.arguments.items():
        if param not in props or param not in alts_by_arg:
            return Verdict(False, "unexpected_param")
        alts = alts_by_arg[param]
        if not isinstance(alts, list):
            return Verdict(False, "value_error:others")
        declared = bfcl_type(props[param])
        items = props[param].get("items") if isinstance(props[param], dict) else None
        item_type = bfcl_type(items) if isinstance(items, dict) else None
        try:
            if language in ("java", "javascript"):
                table = JAVA_PY_TYPES if language == "java" else JS_PY_TYPES
                if declared not in table:
                    return Verdict(False, f"type_error:{language}_unsupported")
                expected = table[declared]
                if type(value) is not str:
                    return Verdict(False, f"type_error:{language}")
                nested = None
                if declared in ("Array", "ArrayList", "array"):
                    if item_type is None or item_type not in table:
                        return Verdict(False, "type_error:missing_items")
                    nested = table[item_type]
                reader = java_value if language == "java" else js_value
                value = reader(value, declared, item_type if nested is not None else None)
            else:
                if declared not in PY_TYPES:
                    return Verdict(False, "type_error:unsupported")
                expected = PY_TYPES[declared]
                nested = None
                if declared in ("array", "tuple"):
                    if item_type is None or item_type not in PY_TYPES:
                        return Verdict(False, "type_error:missing_items")
                    nested = PY_TYPES[item_type]
                if declared == "tuple" and type(value) is tuple:
                    value = list(value)
                if declared == "float" and type(value) is int:
                    value = float(value)
        except Unsupported:
            return Verdict(False, "type_error:unsupported")
        type_ok, is_variable = type_check(value, alts, expected, nested)
        if not type_ok:
            nested_failed = nested is not None and type(value) is expected
            return Verdict(False, "type_error:nested" if nested_failed else "type_error:simple")
        if not is_variable:
            if expected is dict:
                v = _check_dict(value, alts)
                if not v.valid:
                    return v
                continue
            if expected is list and nested is dict:
                v = _check_list_of_dicts(value, alts)
                if not v.valid:
                    return v
                continue
            if expected is str:  # the type check made value a str (and a list, below, a list)
                if standardize(value) not in [standardize(a) for a in alts if type(a) is str]:
                    return Verdict(False, "value_error:string")
                continue
            if expected is list:
                v = _check_list(value, alts)
                if not v.valid:
                    return v
                continue
        try:
            if value not in alts:
                return Verdict(False, "value_error:others")
        except TypeError:
            return Verdict(False, "value_error:others")
    for param, alts in alts_by_arg.items():
        if param not in call.arguments and (not isinstance(alts, list) or "" not in alts):
            return Verdict(False, "missing_optional")
    return OK


def _bipartite(ok: list[list[bool]]) -> bool:
    """Whether every gold call (row) can be paired with a distinct predicted call (column)."""
    match_of_col: dict[int, int] = {}

    def augment(row: int, seen: set[int]) -> bool:
        for col, fits in enumerate(ok[row]):
            if fits and col not in seen:
                seen.add(col)
                if col not in match_of_col or augment(match_of_col[col], seen):
                    match_of_col[col] = row
                    return True
        return False

    return all(augment(r, set()) for r in range(len(ok)))


def match_bfcl(
    pred: list[ToolCall], gold: list[dict[str, Any]], tools: list[Tool], language: str = "python", greedy: bool = False
) -> Verdict:
    """All predicted calls against all gold calls: same count, then first-fit or optimal pairing."""
    if len(pred) != len(gold):
        return Verdict(False, "wrong_count")
    by_name = {t.name: t for t in tools}
    if greedy:
        used: set[int] = set()
        for g in gold:
            tool = by_name.get(g["name"])
            last = Verdict(False, "cannot_find_match")
            for j, call in enumerate(pred):
                if j in used:
                    continue
                last = check_call(tool, call, g, language)
                if last.valid:
                    used.add(j)
                    break
            if not last.valid:
                return Verdict(False, last.error if len(gold) == 1 else "cannot_find_match")
        return OK
    grid = [[check_call(by_name.get(g["name"]), c, g, language) for c in pred] for g in gold]
    if _bipartite([[v.valid for v in row] for row in grid]):
        return OK
    if len(gold) == 1:
        return grid[0][0]
    return Verdict(False, "cannot_find_match")


def _alt_value(v: Any) -> Any:
    if isinstance(v, dict):  # dict values nest the possible-answer form one level deep
        return {k: [x] for k, x in v.items()}
    if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        return [{k: [x] for k, x in d.items()} for d in v]
    return v


def gold_alternatives(answer: list[ToolCall]) -> list[dict[str, Any]]:
    """Possible-answer form of plain gold calls (each argument accepts exactly its gold value)."""
    return [{"name": c.name, "arguments": {k: [_alt_value(v)] for k, v in c.arguments.items()}} for c in answer]
