"""JSON decoding at orjson's speed with the standard library's leniency.

``loads`` parses with orjson; what orjson refuses but :func:`json.loads` accepts (``NaN``/``Infinity``,
lone surrogates, exponents beyond double range) is handed to the standard library, and so is a text with
an integer of 19 digits or more (orjson reads integers outside the 64-bit range as floats): the two accept
the same texts and give the same values. A malformed text raises ``ValueError``.
``dumps_sorted`` is a canonical key-sorted encoding for equality tests: two values encode equal exactly when
their key-sorted ``json.dumps`` are equal (bytes from orjson, or str from the standard library for what
orjson cannot encode exactly: integers past 64 bits, and NaN/Infinity, which orjson writes as ``null``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_SORTED = json.JSONEncoder(sort_keys=True).encode
_STDLIB_ONLY = re.compile(r"NaN|Infinity|\\u[dD][89a-fA-F]|[eE][+-]?\d{3,}|[\ud800-\udfff]")
_LONG_INT = re.compile(r"\d{19}")


def loads(text: str) -> Any:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        if _STDLIB_ONLY.search(text):  # only on the failure path: the common case pays nothing
            return json.loads(text)
        raise
    if _LONG_INT.search(text):  # a 64-bit overflow read as a float by orjson: read it exactly
        return json.loads(text)
    return value


def dumps_sorted(value: Any) -> bytes | str:
    try:
        out = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return _SORTED(value)
    return _SORTED(value) if b"null" in out else out  # null may stand for NaN or Infinity
