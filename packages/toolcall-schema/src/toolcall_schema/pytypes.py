"""Python-style type strings (xLAM, API-Bank) and BFCL type names mapped to JSON Schema."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

_SIMPLE: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "string": {"type": "string"},
    "text": {"type": "string"},
    "int": {"type": "integer"},
    "integer": {"type": "integer"},
    "long": {"type": "integer"},
    "float": {"type": "number"},
    "number": {"type": "number"},
    "double": {"type": "number"},
    "decimal": {"type": "number"},
    "bool": {"type": "boolean"},
    "boolean": {"type": "boolean"},
    "list": {"type": "array"},
    "array": {"type": "array"},
    "sequence": {"type": "array"},
    "tuple": {"type": "array"},
    "set": {"type": "array", "uniqueItems": True},
    "dict": {"type": "object"},
    "object": {"type": "object"},
    "mapping": {"type": "object"},
    "none": {"type": "null"},
    "nonetype": {"type": "null"},
    "any": {},
    "object_any": {},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
}
_OPTIONAL_RE = re.compile(r",\s*optional\b.*$", re.IGNORECASE)
_GENERIC_RE = re.compile(r"([\w.]+)\s*[\[(](.*)[\])]", re.DOTALL)


def _split_top(s: str) -> list[str]:
    """Split ``a, B[c, d], e`` at top-level commas."""
    parts, depth, cur = [], 0, []
    for ch in s:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def _parse(t: str) -> tuple[dict[str, Any], bool]:
    t = t.strip()
    m = _GENERIC_RE.fullmatch(t)
    if not m:
        base = t.lower().split(".")[-1]
        if base in _SIMPLE:
            return dict(_SIMPLE[base]), False
        return {"x-original-type": t}, False
    head, inner = m.group(1).lower().split(".")[-1], m.group(2)
    args = _split_top(inner)
    if head == "optional" and len(args) == 1:
        return _parse(args[0])[0], True
    if head == "union":
        subs = [_parse(a)[0] for a in args]
        nullable = any(s.get("type") == "null" for s in subs)
        subs = [s for s in subs if s.get("type") != "null"]
        schema = subs[0] if len(subs) == 1 else {"anyOf": subs}
        return schema, nullable
    if head in ("list", "sequence", "set", "iterable") and len(args) == 1:
        schema = {"type": "array", "items": _parse(args[0])[0]}
        if head == "set":
            schema["uniqueItems"] = True
        return schema, False
    if head == "tuple":
        if len(args) == 2 and args[1] == "...":
            return {"type": "array", "items": _parse(args[0])[0]}, False
        items = [_parse(a)[0] for a in args]
        return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}, False
    if head in ("dict", "mapping") and len(args) == 2:
        return {"type": "object", "additionalProperties": _parse(args[1])[0]}, False
    if head == "literal":
        return {"enum": [a.strip("'\"") for a in args]}, False
    if head in _SIMPLE:
        return dict(_SIMPLE[head]), False
    return {"x-original-type": t}, False


def pytype_to_schema(type_string: str) -> tuple[dict[str, Any], bool]:
    """``"List[int]"`` → (``{"type": "array", "items": {"type": "integer"}}``, optional?).

    Optional is marked by a trailing ``", optional"`` or by ``Optional[...]``. Unknown names are
    kept as ``x-original-type`` with no type constraint, so nothing is lost. The schema is a fresh copy.
    """
    if not isinstance(type_string, str) or not type_string.strip():
        return {}, False
    schema, optional = _pytype_cached(type_string)
    return json.loads(schema), optional


@lru_cache(maxsize=4096)
def _pytype_cached(type_string: str) -> tuple[str, bool]:
    optional = bool(_OPTIONAL_RE.search(type_string))
    core = _OPTIONAL_RE.sub("", type_string).strip()
    schema, opt2 = _parse(core)
    return json.dumps(schema), optional or opt2


# BFCL uses its own type names; Java and JavaScript categories pass every value as a string of code.
_BFCL_TYPES = {
    "dict": "object",
    "float": "number",
    "tuple": "array",
    "integer": "integer",
    "string": "string",
    "boolean": "boolean",
    "array": "array",
    "number": "number",
    "object": "object",
}


def bfcl_schema_to_json_schema(schema: Any, language: str = "python") -> Any:
    """Map a BFCL parameter schema to JSON Schema, recursively, keeping every BFCL type in
    ``x-bfcl-type`` where it differs from the JSON Schema type (lossless)."""
    if isinstance(schema, list):
        return [bfcl_schema_to_json_schema(s, language) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, str):
            if language in ("java", "javascript") and value not in ("dict",):
                # BFCL Java/JS values are source-code strings ("new HashMap()", "[1, 2]").
                out["type"] = "string"
                out["x-bfcl-type"] = value
            elif value == "any":
                out["x-bfcl-type"] = "any"
            else:
                mapped = _BFCL_TYPES.get(value)
                if mapped is None:
                    out["x-bfcl-type"] = value
                else:
                    out["type"] = mapped
                    if mapped != value:
                        out["x-bfcl-type"] = value
        elif key == "properties" and isinstance(value, dict):
            out[key] = {k: bfcl_schema_to_json_schema(v, language) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf"):
            out[key] = bfcl_schema_to_json_schema(value, language)
        else:
            out[key] = value
    return out
