"""Python call syntax: ``[f(a=1), g.h(b="x"), Tool Name(k='v')]`` parsed with ``ast`` (never ``eval``)."""

from __future__ import annotations

import ast
import math
from typing import Any

from .model import ToolCall


class CallSyntaxError(ValueError):
    """The text is not a list of keyword-argument calls."""


_NAME_CONSTS = {"true": True, "false": False, "null": None, "none": None}


def _literal(node: ast.AST) -> Any:
    """A JSON-able value from an AST node: constants, lists, tuples, dicts, sets, negatives."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (str, int, float, bool)) or node.value is None:
            if isinstance(node.value, float) and not math.isfinite(node.value):
                raise CallSyntaxError("non-finite number")
            return node.value
        raise CallSyntaxError(f"unsupported constant {node.value!r}")
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.Dict):
        out = {}
        for k, v in zip(node.keys, node.values, strict=True):
            if k is None:
                raise CallSyntaxError("dict unpacking is not a literal")
            key = _literal(k)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise CallSyntaxError("dict key must be a scalar")
            out[key if isinstance(key, str) else str(key)] = _literal(v)
        return out
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _literal(node.operand)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise CallSyntaxError("sign applied to a non-number")
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.Name) and node.id.lower() in _NAME_CONSTS:
        return _NAME_CONSTS[node.id.lower()]
    raise CallSyntaxError(f"not a literal: {ast.dump(node)[:80]}")


def _split_calls(text: str) -> list[tuple[str, str]]:
    """Split ``[A(x), B c(y)]`` into (name, argument text) pairs, respecting strings and brackets."""
    s = text.strip()
    if s.startswith("[") and s.endswith("]"):
        s = s[1:-1]
    calls: list[tuple[str, str]] = []
    i, n = 0, len(s)
    while i < n:
        while i < n and s[i] in " \t\r\n,":
            i += 1
        if i >= n:
            break
        start = s.find("(", i)
        if start < 0:
            raise CallSyntaxError(f"expected a call at {s[i : i + 30]!r}")
        name = s[i:start].strip()
        if not name or any(c in name for c in "[]{}()'\"=,"):
            raise CallSyntaxError(f"bad function name {name!r}")
        depth, j, quote = 0, start, None
        while j < n:
            c = s[j]
            if quote:
                if c == "\\":
                    j += 1
                elif s.startswith(quote, j):
                    j += len(quote) - 1
                    quote = None
            elif c in "'\"":
                quote = c * 3 if s.startswith(c * 3, j) else c
                j += len(quote) - 1
            elif c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j >= n or quote:
            raise CallSyntaxError(f"unbalanced call {name!r}")
        calls.append((name, s[start + 1 : j]))
        i = j + 1
        while i < n and s[i] in " \t\r\n":
            i += 1
        if i < n and s[i] != ",":
            raise CallSyntaxError(f"unexpected text after call {name!r}: {s[i : i + 30]!r}")
    return calls


def parse_calls(text: str) -> list[ToolCall]:
    """Parse ``[f(a=1), g.h(b="x")]`` (brackets optional) into calls. Raises :class:`CallSyntaxError`."""
    if not isinstance(text, str):
        raise CallSyntaxError("not a string")
    out = []
    for name, args in _split_calls(text):
        try:
            tree = ast.parse(f"_f({args})", mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
            raise CallSyntaxError(f"call {name!r}: {e}") from None
        call = tree.body
        if not isinstance(call, ast.Call):
            raise CallSyntaxError(f"call {name!r}: not a call")
        if call.args:
            raise CallSyntaxError(f"call {name!r}: positional arguments are not allowed")
        arguments: dict[str, Any] = {}
        for kw in call.keywords:
            if kw.arg is None:
                raise CallSyntaxError(f"call {name!r}: **kwargs are not allowed")
            try:
                arguments[kw.arg] = _literal(kw.value)
            except RecursionError:
                raise CallSyntaxError(f"call {name!r}: value nested too deeply") from None
        out.append(ToolCall(name, arguments))
    return out


def format_calls(calls: list[ToolCall]) -> str:
    """Render calls as ``[f(a=1, b='x')]``; :func:`parse_calls` reads it back to equal calls."""
    parts = []
    for c in calls:
        args = ", ".join(f"{k}={_py(v)}" for k, v in c.arguments.items())
        parts.append(f"{c.name}({args})")
    return "[" + ", ".join(parts) + "]"


def _py(v: Any) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k!r}: {_py(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_py(x) for x in v) + "]"
    return repr(v)
