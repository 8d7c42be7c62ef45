"""Shared helpers for converters: reading JSON/JSONL files and a registry of formats."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ..model import Record
from ..validate import RecordError


@dataclass(frozen=True)
class Converter:
    """A source format: how to read raw items from a path and turn one item into records."""

    name: str
    help: str
    read: Callable[[Path], Iterable[Any]]
    convert: Callable[[Any, int], list[Record]]


CONVERTERS: dict[str, Converter] = {}


def register(name: str, help: str, read: Callable[[Path], Iterable[Any]] | None = None):
    """Decorator registering ``convert(raw, index) -> list[Record]`` under ``name``. A reader yields raw items;
    it yields a :class:`BadItem` for one it cannot read, which the conversion skips (or stops at, strict)."""

    def deco(fn: Callable[[Any, int], list[Record]]):
        CONVERTERS[name] = Converter(name, help, read or read_items, fn)
        return fn

    return deco


@dataclass(frozen=True)
class BadItem:
    """An item a reader could not read (a JSON Lines line that is not JSON), with the reason."""

    reason: str


def read_items(path: Path) -> Iterator[Any]:
    """:func:`read_json_items` for conversion: a bad JSON Lines line becomes a :class:`BadItem`."""
    return read_json_items(path, skip_bad=True)


def read_json_items(path: Path, skip_bad: bool = False) -> Iterator[Any]:
    """Items of a JSON array file, a single JSON object file, or a JSON Lines file. A line that is not JSON
    raises :class:`RecordError` naming the file and line, or with ``skip_bad`` is yielded as a :class:`BadItem`."""
    path = Path(path)
    with path.open("r", encoding="utf-8") as f:
        head = f.read(1)
        while head and head.isspace():
            head = f.read(1)
        f.seek(0)
        if head == "[":
            try:
                data = json.load(f)
            except ValueError as e:
                raise RecordError(f"not valid JSON: {e}", source=str(path)) from None
            yield from data
            return
        if not skip_bad:
            for _, item in json_lines(f, str(path)):
                yield item
            return
        for lineno, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError as e:
                    yield BadItem(f"line {lineno} is not valid JSON: {e}")


def json_lines(f: TextIO, source: str) -> Iterator[tuple[int, Any]]:
    """(line number, value) for each non-blank line of an open JSON Lines file; a bad line raises
    :class:`RecordError` naming the file and the line."""
    for lineno, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as e:
            raise RecordError(f"line {lineno} is not valid JSON: {e}", source=source) from None
        yield lineno, value


def json_field(raw: dict[str, Any], key: str, expect: type | tuple[type, ...]) -> Any:
    """``raw[key]``, decoding a JSON string when needed; RecordError naming the field otherwise."""
    if not isinstance(raw, dict):
        raise RecordError(f"item is {type(raw).__name__}, not an object")
    if key not in raw:
        raise RecordError("missing field", field=key)
    value = raw[key]
    if isinstance(value, str) and expect is not str:
        try:
            value = json.loads(value)
        except ValueError as e:
            raise RecordError(f"not valid JSON: {e}", field=key) from None
    if not isinstance(value, expect):
        raise RecordError(f"expected {getattr(expect, '__name__', expect)}, got {type(value).__name__}", field=key)
    return value


def object_schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required}


def check_known_tools(record: Record) -> None:
    """Raise when a gold call names a tool the record does not offer."""
    names = record.tool_names
    for call in record.answer:
        if call.name not in names:
            raise RecordError(f"answer calls unknown tool {call.name!r}", record_id=record.id, field="answer")
