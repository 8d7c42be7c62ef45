"""BFCL's single-turn categories, scored as BFCL scores them.

AST categories: the output must decode to calls that BFCL's checker accepts (our ``toolcall_reward.bfcl``
matcher, which agrees with the official ``ast_checker`` on every gold answer and perturbation; first-fit pairing
like the official one). ``irrelevance``/``live_irrelevance``: correct when no call decodes; ``live_relevance``:
correct when at least one does. Aggregates follow BFCL v4's leaderboard code: non-live = unweighted mean of
simple (itself the mean of python/java/javascript), multiple, parallel, parallel_multiple; live = entry-weighted
mean of the live AST categories; irrelevance = mean of irrelevance and live_irrelevance; ``overall_single_turn`` =
mean of non-live, live and irrelevance (BFCL v4's overall gives those three equal weight; multi-turn is
:mod:`bench_eval.bfcl_multi_turn`, agentic is not run here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolcall_reward.bfcl import match_bfcl
from toolcall_schema import Record, parse_output
from toolcall_schema.converters.bfcl import AST_CATEGORIES, bfcl_category_path

from .core import Benchmark, Scored, mean, register

NON_LIVE_SIMPLE = ("simple_python", "simple_java", "simple_javascript")
NON_LIVE = ("multiple", "parallel", "parallel_multiple")
LIVE = ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")
IRRELEVANCE = ("irrelevance", "live_irrelevance")


def decode(output: str) -> tuple[list, str]:
    """Calls in a Tool-N1 ``<think>…<tool_call>[…]</tool_call>`` answer or a plain ``[f(a=1)]`` list."""
    parsed = parse_output(output, require_think=False, syntax="auto")
    if parsed.diagnosis.value not in ("ok", "no_call"):
        return [], f"decode:{parsed.diagnosis.value}"
    return parsed.calls, "ok" if parsed.calls else "no_call"


@register("bfcl")
class BFCL(Benchmark):
    categories = AST_CATEGORIES
    default_categories = AST_CATEGORIES

    def load(self, categories=None, data=None, limit=None) -> list[Record]:
        records: list[Record] = []
        for cat in self.resolve(categories):
            path = bfcl_category_path(cat) if data is None else _path_in(data, cat)
            recs = self.convert("bfcl", path, cat)
            records.extend(recs[:limit] if limit else recs)
        return records

    def score(self, record: Record, output: str) -> Scored:
        cat = self.category(record)
        calls, how = decode(output)
        if cat in IRRELEVANCE:
            return Scored(record.id, cat, not calls, "ok" if not calls else "irrelevance:made_a_call")
        if cat == "live_relevance":
            return Scored(record.id, cat, bool(calls), "ok" if calls else f"relevance:{how}")
        if not calls:
            return Scored(record.id, cat, False, how)
        verdict = match_bfcl(
            calls, record.alternatives, record.tools, record.meta.get("language", "python"), greedy=True
        )
        return Scored(record.id, cat, verdict.valid, "ok" if verdict.valid else verdict.error)

    def summary(self, table: dict[str, dict[str, Any]]) -> dict[str, float]:
        acc = {c: v["accuracy"] for c, v in table.items()}
        out: dict[str, float] = {}
        simple = [acc[c] for c in NON_LIVE_SIMPLE if c in acc]
        parts = ([mean(simple)] if simple else []) + [acc[c] for c in NON_LIVE if c in acc]
        if parts:
            out["non_live"] = mean(parts)
        live = [table[c] for c in LIVE if c in table]
        if live:
            out["live"] = sum(v["correct"] for v in live) / sum(v["total"] for v in live)
        irr = [acc[c] for c in IRRELEVANCE if c in acc]
        if irr:
            out["irrelevance"] = mean(irr)
        if "live_relevance" in acc:
            out["relevance"] = acc["live_relevance"]
        groups = [out[k] for k in ("non_live", "live", "irrelevance") if k in out]
        if groups:
            out["overall_single_turn"] = mean(groups)
        return out


def _path_in(folder: str, category: str) -> Path:
    path = Path(folder) / f"BFCL_v4_{category}.json"
    if not path.exists():
        raise FileNotFoundError(f"{path}: BFCL question file for {category!r} not found")
    return path


# Entries no output can pass under BFCL's official checker (it rejects the gold answer too), with the reason.
KNOWN_QUIRKS = {
    "simple_java_36": "ArrayList items typed 'any' are read as strings, but the possible answer holds 42 and true",
    "simple_java_64": "HashMap possible answer is a plain dict whose values are not lists of alternatives",
    "simple_java_65": "ArrayList items typed 'any' are read as strings, but the possible answer holds true",
    "parallel_multiple_26": "possible answer passes 'type', which is a nested property, not a parameter",
    "live_simple_106-63-0": "required parameters whose list of acceptable values is empty",
    "live_simple_112-68-0": "required parameters whose list of acceptable values is empty",
    "live_multiple_507-149-4": "required 'origin_airport' accepts only '' (omitted)",
    "live_multiple_862-181-3": "possible answer uses '_from' where the function declares 'from'",
    "live_multiple_964-207-0": "a required parameter is missing from the possible answer",
}
