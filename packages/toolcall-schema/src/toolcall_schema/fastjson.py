"""JSON decoding at orjson's speed with the standard library's leniency.

``loads`` parses with orjson; what orjson refuses but :func:`json.loads` accepts (``NaN``/``Infinity``,
lone surrogates, exponents beyond double range) is handed to the standard library, so the two accept
the same texts. One documented difference remains, as in most JSON readers (JavaScript's included):
integers outside the 64-bit range are read as floats. A malformed text raises ``ValueError``.
``dumps_sorted`` is a canonical key-sorted encoding for equality tests (bytes, or str from the fallback).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_SORTED = json.JSONEncoder(sort_keys=True).encode
_STDLIB_ONLY = re.compile(r"NaN|Infinity|\\u[dD][89a-fA-F]|[eE][+-]?\d{3,}|[\ud800-\udfff]")


def loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        if _STDLIB_ONLY.search(text):  # only on the failure path: the common case pays nothing
            return json.loads(text)
        raise


def dumps_sorted(value: Any) -> bytes | str:
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return _SORTED(value)
