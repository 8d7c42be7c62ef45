"""Validate records against the shipped JSON Schema (compiled once) plus a few semantic checks."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

try:  # a compiled (Rust) validator of the same schema answers "valid?" ~200x faster; jsonschema explains errors
    import jsonschema_rs
except ImportError:  # pragma: no cover - exotic platforms without wheels
    jsonschema_rs = None

from .model import Record


class RecordError(ValueError):
    """A record that cannot be converted or does not validate; names the record and the field."""

    def __init__(
        self,
        reason: str,
        *,
        record_id: str | None = None,
        index: int | None = None,
        field: str | None = None,
        source: str | None = None,
    ) -> None:
        self.reason, self.record_id, self.index, self.field, self.source = reason, record_id, index, field, source
        where = ", ".join(
            p
            for p in (
                f"file {source}" if source else "",
                f"record #{index}" if index is not None else "",
                f"id {record_id!r}" if record_id is not None else "",
                f"field {field!r}" if field else "",
            )
            if p
        )
        super().__init__(f"{where}: {reason}" if where else reason)


@cache
def record_schema() -> dict[str, Any]:
    """The JSON Schema of a record's dict form (``record.schema.json`` in this package)."""
    return json.loads(resources.files(__package__).joinpath("record.schema.json").read_text("utf-8"))


@cache
def _validator() -> Draft202012Validator:
    schema = record_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@cache
def _fast_is_valid():
    if jsonschema_rs is None:
        return _validator().is_valid
    return jsonschema_rs.validator_for(record_schema()).is_valid


def record_errors(d: dict[str, Any]) -> list[str]:
    """Every problem with a record dict, each as ``"<json path>: <message>"``; [] when valid."""
    try:
        fast_ok = _fast_is_valid()(d)
    except (ValueError, TypeError):  # not JSON-shaped at all (e.g. non-string keys): let jsonschema explain
        fast_ok = False
    errors = (
        []
        if fast_ok
        else [
            f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in _validator().iter_errors(d)
        ]
    )
    if errors:
        return errors
    names = [t["name"] for t in d["tools"]]
    if len(names) != len(set(names)):
        dup = sorted({n for n in names if names.count(n) > 1})
        errors.append(f"tools: duplicate tool names {dup}")
    return errors


def validate_record(record: Record | dict[str, Any], *, index: int | None = None) -> dict[str, Any]:
    """Return the record's dict form, or raise :class:`RecordError` naming the first bad field."""
    d = record.to_dict() if isinstance(record, Record) else record
    errors = record_errors(d)
    if errors:
        rid = d.get("id") if isinstance(d, dict) else None
        field = errors[0].split(":", 1)[0]
        raise RecordError("; ".join(errors), record_id=rid if isinstance(rid, str) else None, index=index, field=field)
    return d
