"""API-Bank level-1 / level-2 call accuracy.

API-Bank's evaluator reads the ``API-Request: [Name(key='value')]`` the model wrote, requires the API name of the
gold request, and judges the call by executing both and comparing results; with API-Bank's string-typed
parameters that is an equality of the parameters, which is what is checked here (values compared as trimmed
strings, white space collapsed), without running the API sandbox. The model may answer in API-Bank's own
``API-Request:`` form or in the Tool-N1 ``<tool_call>`` form."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from toolcall_schema import Record, ToolCall, parse_output
from toolcall_schema.callsyntax import CallSyntaxError
from toolcall_schema.converters.apibank import parse_request

from .core import Benchmark, Scored, register

FILES = {"level-1": "level-1-api.json", "level-2": "level-2-api.json"}  # API-Bank's own test-data names
_REQUEST = re.compile(r"API-Request:\s*(\[.*?\])\s*(?:->|$|\n)", re.DOTALL)


def decode(output: str) -> list[ToolCall]:
    m = _REQUEST.search(output)
    if m:
        try:
            return parse_request("API-Request: " + m.group(1))[0]
        except CallSyntaxError:
            return []
    parsed = parse_output(output, require_think=False, syntax="auto")
    return parsed.calls if parsed.ok else []


def _norm(v: Any) -> str:
    return " ".join(str(v).split())


def same_call(a: ToolCall, b: ToolCall) -> bool:
    return a.name == b.name and {k: _norm(v) for k, v in a.arguments.items()} == {
        k: _norm(v) for k, v in b.arguments.items()
    }


@register("apibank")
class APIBank(Benchmark):
    categories = tuple(FILES)
    default_categories = ("level-1",)

    def load(self, categories=None, data=None, limit=None) -> list[Record]:
        if data is None:
            raise ValueError("apibank: pass --data DIR (API-Bank's folder holding test-data/, e.g. from its repo)")
        records: list[Record] = []
        for cat in self.resolve(categories):
            base = Path(data)
            path = next((p for p in (base / FILES[cat], base / "test-data" / FILES[cat]) if p.exists()), None)
            if path is None:
                raise FileNotFoundError(f"apibank {cat}: {FILES[cat]} not found in {base} or {base / 'test-data'}")
            recs = self.convert("apibank", path, cat)
            for r in recs:
                r.meta["category"] = cat
            records.extend(recs[:limit] if limit else recs)
        return records

    def score(self, record: Record, output: str) -> Scored:
        cat = self.category(record)
        calls = decode(output)
        if not calls:
            return Scored(record.id, cat, False, "no_call")
        gold = record.answer
        if len(calls) != len(gold) or any(c.name != g.name for c, g in zip(calls, gold)):
            return Scored(record.id, cat, False, "wrong_api")
        ok = all(same_call(c, g) for c, g in zip(calls, gold))
        return Scored(record.id, cat, ok, "ok" if ok else "wrong_parameters")
