"""Java and JavaScript argument literals, read the way BFCL's AST checker reads them.

BFCL's Java/JavaScript categories pass every argument as a string of source code (``"new int[]{1, 2}"``,
``"3.5f"``, ``"{'k': 1}"``). Its checker turns that string into a Python value according to the declared
type, falling back to the string itself when the text does not look like that type. This module
reproduces those rules (including their regular-expression limits) so that our ``bfcl`` matcher gives
the official verdicts; it never evaluates code.
"""

from __future__ import annotations

import re
from typing import Any


class Unsupported(ValueError):
    """A declared type BFCL's checker cannot convert (its own checker fails on it)."""


_INT = re.compile(r"-?\d+$")
_JAVA_FLOAT = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?[fF]$")
_JAVA_DOUBLE = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?$")
_JAVA_LONG = re.compile(r"-?\d+[lL]$")
_JS_FLOAT = re.compile(r"-?\d+(\.\d+)?$")
_JS_BIGINT = re.compile(r"-?\d+n$")

JAVA_PY_TYPES: dict[str, type] = {
    "byte": int,
    "short": int,
    "integer": int,
    "float": float,
    "double": float,
    "long": int,
    "boolean": bool,
    "char": str,
    "Array": list,
    "ArrayList": list,
    "Set": set,
    "HashMap": dict,
    "Hashtable": dict,
    "Queue": list,
    "Stack": list,
    "String": str,
    "any": str,
}
JS_PY_TYPES: dict[str, type] = {
    "String": str,
    "integer": int,
    "float": float,
    "Bigint": int,
    "Boolean": bool,
    "dict": dict,
    "array": list,
    "any": str,
}


def _number_or_text(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def java_scalar(text: str) -> Any:
    """An untyped Java literal: booleans, "strings", 12L, 1.5f, numbers, else the text."""
    if text in ("true", "false"):
        return text == "true"
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    if _JAVA_LONG.match(text):
        return int(text[:-1])
    if _JAVA_FLOAT.match(text):
        return float(text[:-1])
    return _number_or_text(text)


def java_value(text: str, declared: str, item_type: str | None = None) -> Any:
    """``text`` as a value of Java type ``declared`` (``item_type`` for collections)."""
    if declared not in JAVA_PY_TYPES:
        raise Unsupported(declared)
    if declared in ("byte", "short", "integer"):
        return int(text) if _INT.match(text) else text
    if declared == "float":
        return float(text[:-1]) if _JAVA_FLOAT.match(text) else text
    if declared == "double":
        return float(text) if _JAVA_DOUBLE.match(text) else text
    if declared == "long":
        return int(text[:-1]) if _JAVA_LONG.match(text) else text
    if declared == "boolean":
        return text == "true" if text in ("true", "false") else text
    if declared in ("char", "String", "any"):
        return text
    if declared == "ArrayList":
        return _java_arraylist(text, item_type)
    if declared == "Array":
        return _java_array(text, item_type)
    if declared == "HashMap":
        return _java_hashmap(text)
    raise Unsupported(declared)


def _java_element(text: str, item_type: str | None) -> Any:
    if item_type in ("char", "String"):
        return text[1:-1]
    return java_value(text, item_type) if item_type else java_scalar(text)


def _java_arraylist(text: str, item_type: str | None) -> Any:
    m = re.search(r"new\s+ArrayList<\w*>\(Arrays\.asList\((.+?)\)\)", text)
    if m:
        return [_java_element(e.strip(), item_type) for e in m.group(1).split(",")]
    m = re.search(r"new\s+ArrayList<\w*>\(\)\s*\{\{\s*(.+?)\s*\}\}", text, re.DOTALL)
    if m:
        return [_java_element(a.strip(), item_type) for a in re.findall(r"add\((.+?)\)", m.group(1))]
    if re.search(r"new\s+ArrayList<\w*>\(\)", text):
        return []
    return text


def _java_array(text: str, item_type: str | None) -> Any:
    m = re.search(r"new\s+\w+\[\]\s*\{(.*?)\}", text)
    if not m:
        return text
    parts = [p.strip() for p in m.group(1).split(",") if p.strip()]
    return [java_value(p, item_type) if item_type else java_scalar(p) for p in parts]


def _java_hashmap(text: str) -> Any:
    m = re.search(r"new\s+HashMap<.*?>\s*\(\)\s*\{\s*\{?\s*(.*?)\s*\}?\s*\}", text, re.DOTALL)
    if m:
        return {k: java_scalar(v.strip()) for k, v in re.findall(r"put\(\"(.*?)\",\s*(.*?)\)", m.group(1))}
    if re.search(r"new\s+HashMap<.*?>\s*\(\)", text):
        return {}
    return text


def js_scalar(text: str) -> Any:
    """An untyped JavaScript literal: booleans, quoted strings, numbers, else the text."""
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if (text.startswith('"') and text.endswith('"')) or (text.startswith("'") and text.endswith("'")):
        return text[1:-1]
    return _number_or_text(text)


def js_value(text: str, declared: str, item_type: str | None = None) -> Any:
    """``text`` as a value of JavaScript type ``declared``."""
    if declared not in JS_PY_TYPES:
        raise Unsupported(declared)
    if declared == "String":
        quoted = (text.startswith('"') and text.endswith('"')) or (text.startswith("'") and text.endswith("'"))
        return text[1:-1] if quoted else text
    if declared == "integer":
        return int(text) if _INT.match(text) else text
    if declared == "float":
        return float(text) if _JS_FLOAT.match(text) else text
    if declared == "Bigint":
        return int(text[:-1]) if _JS_BIGINT.match(text) else text
    if declared == "Boolean":
        return text == "true" if text in ("true", "false") else text
    if declared == "any":
        return text
    if declared == "array":
        return _js_array(text.strip(), item_type)
    return _js_object(text.strip())


def _js_array(code: str, item_type: str | None) -> Any:
    try:
        m2 = re.match(r"\[\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\]|\bnew\s+Array\(\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\)", code)
        if m2:
            rows = []
            for i, inner in enumerate(re.findall(r"\[(.*?)\]", m2.group(0))):
                inner = inner.strip()
                if i == 0 and inner.startswith("["):
                    inner = inner[1:]
                rows.append([js_scalar(e.strip()) for e in inner.split(",")])
            return rows
        m = re.match(r"\[(.*?)\]|\bnew\s+Array\((.*?)\)", code)
        if not m:
            return code
        body = m.group(1) if m.group(1) is not None else m.group(2)
        parts = body.strip().split(",") if body is not None and body.strip() else []
        if item_type:  # BFCL passes "String" as the inner item type of a quoted element
            return [js_value(p.strip(), item_type, "String" if p.strip()[:1] in "'\"" else None) for p in parts]
        return [js_scalar(p.strip()) for p in parts]
    except Exception:  # noqa: BLE001 - BFCL falls back to the raw text on any failure here
        return code


def _js_object(code: str) -> Any:
    if code == "{}":
        return {}
    m = re.match(r"\{(.*?)\}", code)
    if not m:
        return code
    out: dict[str, Any] = {}
    for key, value in re.findall(r"([^:]+):\s*(.*?)(?:,\s*(?=[^,]+:)|$)", m.group(1)):
        key, value = key.strip().strip("'\""), value.strip()
        if value.startswith("[") and value.endswith("]"):
            out[key] = _js_array(value, None)
        elif value.startswith("{") and value.endswith("}"):
            out[key] = _js_object(value)
        else:
            out[key] = js_scalar(value.strip("'\""))
    return out
