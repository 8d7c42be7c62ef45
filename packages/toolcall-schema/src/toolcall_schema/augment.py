"""Tool-N1's data steps: drop answers naming unknown tools, dedupe, irrelevance augmentation and
Hammer-style masking (consistent random renaming of function and parameter names, fresh defaults)."""

from __future__ import annotations

import copy
import hashlib
import json
import random
import string
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from .model import Message, Record, Tool, ToolCall


def drop_unknown_tools(records: Iterable[Record], dropped: list[str] | None = None) -> Iterator[Record]:
    """Keep records whose gold calls all name one of their tools (ids of the others go to ``dropped``)."""
    for r in records:
        names = r.tool_names
        if all(c.name in names for c in r.answer):
            yield r
        elif dropped is not None:
            dropped.append(r.id)


def record_key(r: Record) -> str:
    """A content hash of tools + conversation + answer (ids and sources ignored)."""
    payload = json.dumps(
        [
            sorted((t.to_dict() for t in r.tools), key=lambda t: t["name"]),
            [m.to_dict() for m in r.messages],
            sorted(json.dumps(c.to_dict(), sort_keys=True) for c in r.answer),
        ],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()


def dedupe(records: Iterable[Record]) -> Iterator[Record]:
    """Drop records with the same tools, conversation and answer as an earlier one."""
    seen: set[str] = set()
    for r in records:
        k = record_key(r)
        if k not in seen:
            seen.add(k)
            yield r


def irrelevance(record: Record) -> Record | None:
    """The record with its gold tools removed and answer ``[]`` (None if no call or no tool would remain)."""
    gold = {c.name for c in record.answer}
    tools = [t for t in record.tools if t.name not in gold]
    if not gold or not tools:
        return None
    return Record(
        f"{record.id}-irrelevant",
        record.source,
        tools,
        list(record.messages),
        [],
        meta={**record.meta, "augmented": "irrelevance", "origin": record.id},
    )


def add_irrelevance(records: Iterable[Record], rate: float, seed: int = 0) -> Iterator[Record]:
    """Every record, plus an irrelevance variant of a ``rate`` fraction of them."""
    rng = random.Random(seed)
    for r in records:
        yield r
        if rng.random() < rate:
            aug = irrelevance(r)
            if aug is not None:
                yield aug


def _random_name(rng: random.Random, prefix: str, taken: set[str]) -> str:
    while True:
        name = prefix + "".join(rng.choices(string.ascii_lowercase + string.digits, k=6))
        if name not in taken:
            taken.add(name)
            return name


def _fresh_default(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rng.randint(1, 100)
    if isinstance(value, float):
        return round(value + rng.uniform(0.5, 50.0), 2)
    if isinstance(value, str):
        return "".join(rng.choices(string.ascii_lowercase, k=max(3, min(len(value), 8))))
    return value


def mask(record: Record, seed: int | random.Random = 0, tool_rate: float = 1.0) -> Record:
    """Hammer-style masking: every function and top-level parameter name is replaced by a random one
    (consistently in tools, answer, alternatives and earlier calls) and every default by a fresh value of
    its type, so the model must read descriptions instead of memorising names. With ``tool_rate`` < 1 each
    tool is masked with that probability (at least one is), so a familiar name sits beside a random one and
    picking the familiar name is no rule."""
    if not 0 < tool_rate <= 1:
        raise ValueError(f"tool_rate must be in (0, 1], not {tool_rate}")
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    masked = record.tools
    if tool_rate < 1 and record.tools:
        masked = [t for t in record.tools if rng.random() < tool_rate] or [rng.choice(record.tools)]
    taken: set[str] = {t.name for t in record.tools}
    fn_map = {t.name: _random_name(rng, "func_", taken) for t in masked}
    param_maps: dict[str, dict[str, str]] = {}
    tools = []
    for t in record.tools:
        if t.name not in fn_map:
            tools.append(t)
            continue
        params = copy.deepcopy(t.parameters)
        pmap = {p: _random_name(rng, "arg_", taken) for p in params.get("properties", {})}
        param_maps[t.name] = pmap
        props = {}
        for p, spec in params.get("properties", {}).items():
            if isinstance(spec, dict) and "default" in spec:
                spec["default"] = _fresh_default(spec["default"], rng)
            props[pmap[p]] = spec
        params["properties"] = props
        if "required" in params:
            params["required"] = [pmap.get(p, p) for p in params["required"]]
        tools.append(Tool(fn_map[t.name], t.description, params))

    def call(c: ToolCall) -> ToolCall:
        pmap = param_maps.get(c.name, {})
        return ToolCall(fn_map.get(c.name, c.name), {pmap.get(k, k): v for k, v in c.arguments.items()})

    messages = [
        Message(m.role, m.content, [call(c) for c in m.tool_calls], fn_map.get(m.name, m.name) if m.name else None)
        for m in record.messages
    ]
    alternatives = None
    if record.alternatives is not None:
        alternatives = [
            {
                "name": fn_map.get(a["name"], a["name"]),
                "arguments": {param_maps.get(a["name"], {}).get(k, k): v for k, v in a["arguments"].items()},
            }
            for a in record.alternatives
        ]
    answer_alts = (
        None if record.answer_alternatives is None else [[call(c) for c in alt] for alt in record.answer_alternatives]
    )
    return Record(
        f"{record.id}-masked",
        record.source,
        tools,
        messages,
        [call(c) for c in record.answer],
        alternatives,
        answer_alts,
        {**record.meta, "augmented": "mask", "origin": record.id},
    )


def add_masked(records: Iterable[Record], rate: float, seed: int = 0, tool_rate: float = 1.0) -> Iterator[Record]:
    """Every record, plus a masked variant of a ``rate`` fraction of them (``tool_rate``: see :func:`mask`)."""
    rng = random.Random(seed)
    for r in records:
        yield r
        if rng.random() < rate:
            yield mask(r, rng, tool_rate)


def stats(records: Iterable[Record]) -> dict[str, Any]:
    """Counts a user checks before training: sources, call counts, no-call share, tools per record."""
    n = 0
    by_source: Counter[str] = Counter()
    calls: Counter[int] = Counter()
    tools_total = turns_total = 0
    for r in records:
        n += 1
        by_source[r.source] += 1
        calls[len(r.answer)] += 1
        tools_total += len(r.tools)
        turns_total += len(r.messages)
    return {
        "records": n,
        "by_source": dict(by_source),
        "calls_per_record": {str(k): v for k, v in sorted(calls.items())},
        "no_call": calls.get(0, 0),
        "parallel": sum(v for k, v in calls.items() if k > 1),
        "mean_tools": tools_total / n if n else 0.0,
        "mean_messages": turns_total / n if n else 0.0,
    }
