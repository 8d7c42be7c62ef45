"""Call matching, order-insensitive in every mode; a wrong number of calls never matches.

- ``exact``: Tool-N1's semantics, a multiset of ``(name, json.dumps(arguments, sort_keys=True))``.
- ``schema``: a multiset of ``(name, canonical arguments)`` under each tool's JSON Schema.
- ``bfcl``: BFCL possible-answer semantics (:mod:`toolcall_reward.bfcl`).

A record may list ``answer_alternatives`` (other complete answers): matching any one suffices.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from toolcall_schema import Record, ToolCall

from .bfcl import gold_alternatives, match_bfcl
from .canonical import canonical
from .config import RewardConfig


@dataclass(frozen=True, slots=True)
class MatchResult:
    ok: bool
    reason: str = "ok"


Matcher = Callable[[list[ToolCall], list[ToolCall], Record, RewardConfig], MatchResult]
MATCHERS: dict[str, Matcher] = {}


def register_matcher(name: str):
    def deco(fn: Matcher) -> Matcher:
        MATCHERS[name] = fn
        return fn

    return deco


def _diagnose(pred_names: Counter, gold_names: Counter) -> MatchResult:
    if sum(pred_names.values()) != sum(gold_names.values()):
        return MatchResult(False, "wrong_count")
    if pred_names != gold_names:
        return MatchResult(False, "wrong_name")
    return MatchResult(False, "wrong_arguments")


def _exact_key(c: ToolCall) -> tuple[str, str]:
    return c.name, json.dumps(c.arguments, sort_keys=True)


@register_matcher("exact")
def match_exact(pred: list[ToolCall], gold: list[ToolCall], record: Record, cfg: RewardConfig) -> MatchResult:
    if len(pred) != len(gold):
        return MatchResult(False, "wrong_count")
    try:
        if Counter(map(_exact_key, pred)) == Counter(map(_exact_key, gold)):
            return MatchResult(True)
    except (TypeError, ValueError):
        return MatchResult(False, "wrong_arguments")
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
        return MatchResult(False, "wrong_count")
    if Counter(schema_key(c, record, cfg) for c in pred) == Counter(schema_key(c, record, cfg) for c in gold):
        return MatchResult(True)
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
