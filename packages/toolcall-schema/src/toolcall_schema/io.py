"""Reading, converting and writing records: JSONL, OpenAI messages, Parquet and ``datasets``."""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .converters import CONVERTERS
from .converters._common import BadItem, json_lines
from .model import Record
from .validate import RecordError, validate_record


@dataclass
class Skipped:
    index: int
    record_id: str | None
    reason: str
    field: str | None = None

    @property
    def kind(self) -> str:
        head = self.reason.split(":", 1)[0].split("'", 1)[0].strip()
        return f"{self.field}: {head}" if self.field else head


@dataclass
class ConversionReport:
    """What a conversion kept and skipped (each skipped item with its index, id and reason)."""

    source: str = ""
    kept: int = 0
    items: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    def by_reason(self) -> Counter[str]:
        return Counter(s.kind for s in self.skipped)

    def summary(self) -> str:
        lines = [f"{self.source}: {self.items} items, kept {self.kept} records, skipped {len(self.skipped)} items"]
        for kind, n in self.by_reason().most_common():
            lines.append(f"  {n:6d} x {kind}")
        for s in self.skipped:
            lines.append(f"  skipped #{s.index} id={s.record_id!r}: {s.reason}")
        return "\n".join(lines)


def _raw_id(raw: Any) -> str | None:
    if isinstance(raw, dict) and isinstance(raw.get("id"), (str, int)):
        return str(raw["id"])
    return None


def convert_items(
    fmt: str,
    items: Iterable[Any],
    *,
    strict: bool = False,
    validate: bool = True,
    report: ConversionReport | None = None,
    source: str = "",
) -> Iterator[Record]:
    """Convert raw items of format ``fmt``. Bad items are skipped and recorded in ``report``;
    with ``strict`` the first one raises :class:`RecordError` naming its index and id."""
    if fmt not in CONVERTERS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(sorted(CONVERTERS))}")
    conv = CONVERTERS[fmt].convert
    report = report if report is not None else ConversionReport(source=source)
    for index, raw in enumerate(items):
        report.items += 1
        try:
            if isinstance(raw, BadItem):
                raise RecordError(raw.reason)
            records = conv(raw, index)
            if validate:
                for r in records:
                    validate_record(r)
        except RecordError as e:
            rid = e.record_id or _raw_id(raw)
            if strict:
                raise RecordError(e.reason, record_id=rid, index=index, field=e.field, source=source) from None
            report.skipped.append(Skipped(index, rid, e.reason, e.field))
            continue
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            rid = _raw_id(raw)
            reason = f"malformed item: {type(e).__name__}: {e}"
            if strict:
                raise RecordError(reason, record_id=rid, index=index, source=source) from None
            report.skipped.append(Skipped(index, rid, reason))
            continue
        report.kept += len(records)
        yield from records


def convert_file(
    fmt: str, path: str | Path, *, strict: bool = False, validate: bool = True, report: ConversionReport | None = None
) -> Iterator[Record]:
    """Convert a local file of format ``fmt`` (see :data:`toolcall_schema.converters.CONVERTERS`)."""
    if fmt not in CONVERTERS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(sorted(CONVERTERS))}")
    path = Path(path)
    if report is not None:
        report.source = str(path)
    items = CONVERTERS[fmt].read(path)
    return convert_items(fmt, items, strict=strict, validate=validate, report=report, source=str(path))


def convert_hub(
    fmt: str,
    name: str,
    *,
    split: str = "train",
    strict: bool = False,
    report: ConversionReport | None = None,
    **load_kwargs: Any,
) -> Iterator[Record]:
    """Convert a dataset loaded with ``datasets.load_dataset(name, split=split)`` (hub or local builder)."""
    import datasets

    ds = datasets.load_dataset(name, split=split, **load_kwargs)
    return convert_items(fmt, iter(ds), strict=strict, report=report, source=f"{name}[{split}]")


def read_jsonl(path: str | Path, *, validate: bool = True) -> Iterator[Record]:
    """Records from our JSONL; a bad line raises :class:`RecordError` naming the file and line."""
    path = Path(path)
    with path.open("r", encoding="utf-8") as f:
        for lineno, d in json_lines(f, str(path)):
            if validate:
                try:
                    validate_record(d)
                except RecordError as e:
                    raise RecordError(
                        f"line {lineno}: {e.reason}", record_id=e.record_id, field=e.field, source=str(path)
                    ) from None
            yield Record.from_dict(d)


@contextmanager
def atomic_write(path: str | Path, mode: str = "w"):
    """Write to a temporary file beside ``path`` and move it into place only on success, so a failure
    never leaves a partial file nor destroys what was there."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as f:
            yield f
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the permissions open() would
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(records: Iterable[Record], path: str | Path) -> int:
    """Write records as JSON Lines (atomically); returns how many were written."""
    n = 0
    with atomic_write(path) as f:
        for r in records:
            f.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
            n += 1
    return n


def to_openai(record: Record, *, include_answer: bool = True) -> dict[str, Any]:
    """``{"messages": [...], "tools": [...]}`` in the OpenAI chat format (``arguments`` as JSON strings);
    with ``include_answer`` the gold turn is appended as the last assistant message."""

    def calls(cs, prefix):
        return [
            {
                "id": f"{prefix}_{i}",
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(c.arguments, ensure_ascii=False)},
            }
            for i, c in enumerate(cs)
        ]

    msgs = []
    for k, m in enumerate(record.messages):
        d: dict[str, Any] = {"role": m.role, "content": m.content}
        if m.tool_calls:
            d["tool_calls"] = calls(m.tool_calls, f"call_{k}")
        if m.role == "tool" and m.name:
            d["name"] = m.name
        msgs.append(d)
    if include_answer:
        last: dict[str, Any] = {"role": "assistant", "content": ""}
        if record.answer:
            last["tool_calls"] = calls(record.answer, "call_answer")
        msgs.append(last)
    return {"messages": msgs, "tools": [t.to_openai() for t in record.tools]}


_JSON_COLUMNS = ("tools", "messages", "answer", "alternatives", "answer_alternatives", "meta")


def to_rows(records: Iterable[Record]) -> Iterator[dict[str, Any]]:
    """Flat rows for Arrow: nested fields as JSON strings, since their shapes differ per record."""
    for r in records:
        d = r.to_dict()
        yield {
            "id": d["id"],
            "source": d["source"],
            **{k: json.dumps(d.get(k), ensure_ascii=False) for k in _JSON_COLUMNS},
        }


def from_row(row: dict[str, Any]) -> Record:
    d = {"id": row["id"], "source": row["source"]}
    for k in _JSON_COLUMNS:
        v = json.loads(row[k]) if isinstance(row.get(k), str) else row.get(k)
        if v is not None:
            d[k] = v
    return Record.from_dict(d)


def to_dataset(records: Iterable[Record]):
    """A ``datasets.Dataset`` of records (see :func:`to_rows`); read back with :func:`from_row`."""
    import datasets

    return datasets.Dataset.from_list(list(to_rows(records)))


def write_parquet(records: Iterable[Record], path: str | Path) -> int:
    """Write records to Parquet (atomically) with pyarrow; returns the row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(list(to_rows(records)))
    with atomic_write(path, "wb") as f:
        pq.write_table(table, f)
    return table.num_rows


def read_parquet(path: str | Path) -> Iterator[Record]:
    import pyarrow.parquet as pq

    for row in pq.read_table(path).to_pylist():
        yield from_row(row)
