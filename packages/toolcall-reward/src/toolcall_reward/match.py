"""Call matching, order-insensitive in every mode; a wrong number of calls never matches.

- ``exact``: Tool-N1's semantics, a multiset of ``(name, json.dumps(arguments, sort_keys=True))``.
- ``schema``: a multiset of ``(name, canonical arguments)`` under each tool's JSON Schema.
- ``bfcl``: BFCL possible-answer semantics (:mod:`toolcall_reward.bfcl`).

A record may list ``answer_alternatives`` (other complete answers): matching any one suffices.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from toolcall_schema import Record, ToolCall
from toolcall_schema.fastjson import dumps_sorted

from .bfcl import gold_alternatives, match_bfcl
from .canonical import canonical
from .config import RewardConfig


@dataclass(frozen=True, slots=True)
class MatchResult:
    ok: bool
    reason: str = "ok"


MATCH = MatchResult(True)
WRONG_COUNT = MatchResult(False, "wrong_count")
WRONG_NAME = MatchResult(False, "wrong_name")
WRONG_ARGUMENTS = MatchResult(False, "wrong_arguments")
Matcher = Callable[[list[ToolCall], list[ToolCall], Record, RewardConfig], MatchResult]
MATCHERS: dict[str, Matcher] = {}


def register_matcher(name: str):
    def deco(fn: Matcher) -> Matcher:
        MATCHERS[name] = fn
        return fn

    return deco


def _diagnose(pred_names: Counter, gold_names: Counter) -> MatchResult:
    if sum(pred_names.values()) != sum(gold_names.values()):
        return WRONG_COUNT
    if pred_names != gold_names:
        return WRONG_NAME
    return WRONG_ARGUMENTS


def _exact_key(c: ToolCall) -> tuple[str, bytes | str]:
    """Tool-N1's key: the name and the key-sorted JSON of the arguments (so 1 ≠ 1.0 ≠ true)."""
    return c.name, dumps_sorted(c.arguments)


_GOLD_CACHE: dict[tuple[int, str], tuple[list[ToolCall], Any]] = {}
_EXACT_CACHE: dict[int, tuple[list[ToolCall], list]] = {}  # the hot path of Tool-N1 training: no key tuple


def cached_gold_keys(gold: list[ToolCall], kind: str, make: Callable[[], Any]) -> Any:
    """The gold side's keys, computed once per gold list (GRPO scores a group of samples per record).
    Records are data: mutating a gold list in place after scoring is not supported."""
    key = (id(gold), kind)
    hit = _GOLD_CACHE.get(key)
    if hit is not None and hit[0] is gold:
        return hit[1]
    if len(_GOLD_CACHE) > 8192:
        _GOLD_CACHE.clear()
    keys = make()
    _GOLD_CACHE[key] = (gold, keys)
    return keys


@register_matcher("exact")
def match_exact(pred: list[ToolCall], gold: list[ToolCall], record: Record, cfg: RewardConfig) -> MatchResult:
    if len(pred) != len(gold):
        return WRONG_COUNT
    try:
        hit = _EXACT_CACHE.get(id(gold))
        if hit is None or hit[0] is not gold:
            if len(_EXACT_CACHE) > 8192:
                _EXACT_CACHE.clear()
            hit = _EXACT_CACHE[id(gold)] = (gold, sorted(map(_exact_key, gold)))
        if sorted(map(_exact_key, pred)) == hit[1]:
            return MATCH
    except (TypeError, ValueError):  # e.g. bytes vs str keys from the fallback encoder
        return WRONG_ARGUMENTS
    return _diagnose(Counter(c.name for c in pred), Counter(c.name for c in gold))


def schema_key(call: ToolCall, record: Record, cfg: RewardConfig) -> tuple[str, tuple]:
    """``(name, canonical arguments)`` of a call under its tool's parameter schema."""
    tool = record.tool(call.name)
    schema = tool.parameters if tool is not None else {}
    return call.name, canonical(
        call.arguments,
        schema,
        case_insensitive=cfg.case_insensitive,
        whitespace=cfg.whitespace,
        numeric_strings=cfg.numeric_strings,
        defaults=cfg.defaults,
    )


@register_matcher("schema")
def match_schema(pred: list[ToolCall], gold: list[ToolCall], record: Record, cfg: RewardConfig) -> MatchResult:
    if len(pred) != len(gold):
        return WRONG_COUNT
    opts = f"schema:{cfg.case_insensitive}{cfg.whitespace}{cfg.numeric_strings}{cfg.defaults}:{id(record.tools)}"
    gold_keys = cached_gold_keys(gold, opts, lambda: Counter(schema_key(c, record, cfg) for c in gold))
    if Counter(schema_key(c, record, cfg) for c in pred) == gold_keys:
        return MATCH
    return _diagnose(Counter(c.name for c in pred), Counter(c.name for c in gold))


@register_matcher("bfcl")
def match_bfcl_mode(pred: list[ToolCall], gold: list[ToolCall], record: Record, cfg: RewardConfig) -> MatchResult:
    alternatives = record.alternatives if gold is record.answer and record.alternatives else gold_alternatives(gold)
    verdict = match_bfcl(pred, alternatives, record.tools, record.meta.get("language", "python"), cfg.greedy)
    return MatchResult(verdict.valid, "ok" if verdict.valid else verdict.error)


def match_calls(pred: list[ToolCall], record: Record, cfg: RewardConfig) -> MatchResult:
    """Predicted calls against the record's answer (or any of its ``answer_alternatives``)."""
    matcher = MATCHERS[cfg.match]
    result = matcher(pred, record.answer, record, cfg)
    if result.ok:
        return result
    for alt in record.answer_alternatives or []:
        other = matcher(pred, alt, record, cfg)
        if other.ok:
            return other
    return result


def matched_calls(pred: list[ToolCall], record: Record, cfg: RewardConfig) -> int:
    """How many predicted calls match a gold call of ``record.answer``, each gold call used once (first fit)."""
    matcher, free = MATCHERS[cfg.match], list(record.answer)
    count = 0
    for call in pred:
        hit = next((g for g in free if matcher([call], [g], record, cfg).ok), None)
        if hit is not None:
            free.remove(hit)
            count += 1
    return count
