"""What every benchmark provides (load, score one output, summarise), the registry, and scoring of a
predictions file."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from toolcall_schema import Record, convert_file
from toolcall_schema.converters._common import json_lines
from toolcall_schema.io import ConversionReport


@dataclass
class Scored:
    """The verdict on one benchmark entry."""

    id: str
    category: str
    correct: bool
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Benchmark:
    """Base class: subclasses set ``name``/``categories`` and implement ``load`` and ``score``.

    Loading never dies on one bad entry: it is skipped, with its id and reason, into :attr:`skipped` (reported in
    ``results.json`` and ``report.md``); with ``strict`` the first one raises instead."""

    name = ""
    categories: tuple[str, ...] = ()
    default_categories: tuple[str, ...] = ()
    output: str = "tool_call"  # "tool_call" (one generation), "python" (code interpreter) or "multi_turn" (BFCL)
    default_max_tokens: int = 256  # `bench-eval run` completion budget unless --max-tokens says otherwise
    default_max_step_tokens: int = 0  # cap per model message (0: none) unless --max-step-tokens says otherwise

    def __init__(self, strict: bool = False) -> None:
        self.strict = strict
        self.skipped: list[dict[str, Any]] = []

    def skip(
        self, category: str, record_id: str | None, reason: str, index: int | None = None, bad: bool = True
    ) -> None:
        """Count one entry that cannot be scored; a ``bad`` one (malformed data, not a benchmark's own rule)
        stops a strict load instead, naming it."""
        if self.strict and bad:
            where = f"{category} entry #{index}" if index is not None else category
            raise ValueError(f"{self.name}: {where} (id {record_id!r}): {reason}")
        self.skipped.append({"category": category, "index": index, "id": record_id, "reason": reason})

    def convert(self, fmt: str, path: str | Path, category: str) -> list[Record]:
        """A data file through a toolcall-schema converter; what it cannot convert is skipped (see :meth:`skip`)."""
        report = ConversionReport()
        records = list(convert_file(fmt, path, strict=self.strict, report=report))
        for s in report.skipped:
            self.skip(category, s.record_id, s.reason, s.index)
        return records

    def resolve(self, categories: list[str] | None) -> list[str]:
        chosen = list(categories or self.default_categories or self.categories)
        unknown = [c for c in chosen if c not in self.categories]
        if unknown:
            raise ValueError(f"{self.name}: unknown categories {unknown}; choose from {', '.join(self.categories)}")
        return chosen

    def load(
        self, categories: list[str] | None = None, data: str | None = None, limit: int | None = None
    ) -> list[Record]:
        raise NotImplementedError

    def category(self, record: Record) -> str:
        return str(record.meta.get("category", self.name))

    def system_prompt(self, record: Record) -> str | None:
        """Extra system text this benchmark's scoring relies on (None: the Tool-N1 prompt alone)."""
        return None

    def score(self, record: Record, output: str) -> Scored:
        raise NotImplementedError

    def summary(self, table: dict[str, dict[str, Any]]) -> dict[str, float]:
        """Aggregates over per-category accuracies (default: the entry-weighted mean)."""
        total = sum(v["total"] for v in table.values())
        return {"overall": sum(v["correct"] for v in table.values()) / total if total else 0.0}


BENCHMARKS: dict[str, Callable[..., Benchmark]] = {}


def register(name: str):
    def deco(cls):
        cls.name = name
        BENCHMARKS[name] = cls
        return cls

    return deco


def get_benchmark(spec: str, strict: bool = False) -> tuple[Benchmark, list[str] | None]:
    """``bfcl:simple_python,multiple`` → (the BFCL benchmark, those categories); ``strict``: see :class:`Benchmark`."""
    name, _, cats = spec.partition(":")
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; choose from {', '.join(sorted(BENCHMARKS))}")
    bench = BENCHMARKS[name](strict=strict)
    chosen = [c.strip() for c in cats.split(",") if c.strip()] or None
    return bench, bench.resolve(chosen)


def percent(x: float) -> float:
    return round(100.0 * x, 2)


def mean(xs: Iterable[float]) -> float:
    xs = list(xs)
    return sum(xs) / len(xs) if xs else 0.0


def read_predictions(path: str | Path) -> dict[str, str]:
    """``{"id": …, "output": …}`` per line (``result``/``completion`` accepted, as BFCL and ACEBench write)."""
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for lineno, row in json_lines(f, str(path)):
            if not isinstance(row, dict) or not isinstance(row.get("id"), str):
                raise ValueError(f"{path}:{lineno}: a prediction needs a string 'id'")
            text = next((row[k] for k in ("output", "result", "completion") if k in row), None)
            if isinstance(text, list) and text and all(isinstance(t, list) for t in text):
                text = json.dumps(text, ensure_ascii=False)  # BFCL multi-turn: the text of each turn's steps
            elif isinstance(text, list):  # BFCL result files may hold a list of turns
                text = "\n".join(map(str, text))
            if not isinstance(text, str):
                raise ValueError(f"{path}:{lineno}: prediction {row['id']!r} has no string 'output'")
            out[row["id"]] = text
    return out


def score_all(
    bench: Benchmark, records: list[Record], predictions: dict[str, str], *, missing: str = "error"
) -> list[Scored]:
    """Score every record; a record without a prediction is an error (``missing='error'``) or wrong."""
    absent = [r.id for r in records if r.id not in predictions]
    if absent and missing == "error":
        raise ValueError(f"{len(absent)} records have no prediction, first: {absent[:5]}")
    return [
        bench.score(r, predictions[r.id])
        if r.id in predictions
        else Scored(r.id, bench.category(r), False, "no_prediction")
        for r in records
    ]


def tabulate(bench: Benchmark, scored: list[Scored]) -> dict[str, Any]:
    """Per-category counts and accuracy plus the benchmark's aggregates (all accuracies in [0, 1])."""
    table: dict[str, dict[str, Any]] = {}
    for s in scored:
        row = table.setdefault(s.category, {"correct": 0, "total": 0})
        row["total"] += 1
        row["correct"] += int(s.correct)
    for row in table.values():
        row["accuracy"] = row["correct"] / row["total"]
    failures = Counter(s.reason for s in scored if not s.correct)
    skipped = {
        "count": len(bench.skipped),
        "by_category": dict(Counter(s["category"] for s in bench.skipped)),
        "entries": bench.skipped,
    }
    return {
        "benchmark": bench.name,
        "categories": table,
        "summary": bench.summary(table),
        "failure_reasons": dict(failures.most_common()),
        "skipped": skipped,
    }
