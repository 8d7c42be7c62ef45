"""Schema-aware canonical forms: two argument values are equivalent iff their canonical forms are equal.

Under a parameter's JSON Schema: numbers compare by value (``5`` ≡ ``5.0``) and, optionally, numeric
strings count as numbers for ``integer``/``number`` parameters; an omitted optional argument ≡ the same
argument given with its schema ``default``; strings optionally ignore case and collapse white space;
arrays keep order unless the schema says ``uniqueItems``; objects recurse through ``properties``.
Canonical forms are hashable, so a multiset of calls compares with one ``Counter`` equality.
"""

from __future__ import annotations

import math
import re
from typing import Any

_WS = re.compile(r"\s+")
Canon = tuple


def _num(v: int | float) -> Canon:
    if isinstance(v, float) and math.isfinite(v) and v.is_integer() and abs(v) < 2**63:
        return ("n", int(v))
    return ("n", v)


def _str(v: str, case_insensitive: bool, whitespace: bool) -> Canon:
    if whitespace:
        v = _WS.sub(" ", v).strip()
    if case_insensitive:
        v = v.casefold()
    return ("s", v)


def _types(schema: dict[str, Any]) -> set[str]:
    t = schema.get("type")
    if isinstance(t, str):
        return {t}
    if isinstance(t, list):
        return {x for x in t if isinstance(x, str)}
    return set()


def with_defaults(arguments: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, Any]:
    """``arguments`` plus every optional parameter that has a schema default and was omitted."""
    props = (schema or {}).get("properties") or {}
    if not props:
        return arguments
    required = set((schema or {}).get("required") or [])
    out = dict(arguments)
    for name, spec in props.items():
        if name not in out and name not in required and isinstance(spec, dict) and "default" in spec:
            out[name] = spec["default"]
    return out


def canonical(
    value: Any,
    schema: dict[str, Any] | None,
    *,
    case_insensitive: bool = False,
    whitespace: bool = True,
    numeric_strings: bool = False,
    defaults: bool = True,
) -> Canon:
    """The canonical form of ``value`` under ``schema`` (see the module docstring)."""
    opts = (case_insensitive, whitespace, numeric_strings, defaults)
    return _canon(value, schema if isinstance(schema, dict) else {}, opts)


def _canon(v: Any, s: dict[str, Any], opts: tuple[bool, bool, bool, bool]) -> Canon:
    case_insensitive, whitespace, numeric_strings, defaults = opts
    if v is None:
        return ("z",)
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, (int, float)):
        return _num(v)
    if isinstance(v, str):
        if numeric_strings and _types(s) & {"integer", "number"}:
            try:
                return _num(int(v)) if re.fullmatch(r"\s*-?\d+\s*", v) else _num(float(v))
            except ValueError:
                pass
        if s.get("enum") is not None or "string" in _types(s) or not _types(s):
            return _str(v, case_insensitive, whitespace)
        return ("s", v)
    if isinstance(v, (list, tuple)):
        items = s.get("items") if isinstance(s.get("items"), dict) else {}
        elems = [_canon(x, items, opts) for x in v]
        if s.get("uniqueItems"):
            return ("set", tuple(sorted(set(elems), key=repr)))
        return ("l", tuple(elems))
    if isinstance(v, dict):
        props = s.get("properties") if isinstance(s.get("properties"), dict) else {}
        extra = s.get("additionalProperties") if isinstance(s.get("additionalProperties"), dict) else {}
        if defaults:
            v = with_defaults(v, s)
        return ("d", tuple(sorted((str(k), _canon(x, props.get(k) or extra, opts)) for k, x in v.items())))
    return ("?", repr(v))
