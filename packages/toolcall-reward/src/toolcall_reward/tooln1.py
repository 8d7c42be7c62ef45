"""Tool-N1's own rewards, rule for rule: ``compute_score_v0`` … ``v4`` of NVlabs/Tool-N1
(``verl/verl/utils/reward_score/toolcall.py``), written from its rules, checked against its verdicts.

Tool-N1's format rule is looser than the R1 rule of :mod:`toolcall_reward.rewards` (``binary`` and friends):

- only the text after the last ``<|im_start|>assistant`` marker counts (all of it when there is none);
- the *last* ``<tool_call>…</tool_call>`` block is read (left-to-right, non-greedy pairing) and decoded as JSON;
  a JSON string is decoded once more, a single object stands for a one-call list;
- "reasoning" means ``<think>`` and ``</think>`` both appear somewhere in the text (substring checks), so
  text before, between or after the blocks is allowed;
- every item must be an object with ``name`` and ``arguments`` keys (extra keys allowed);
- an answer without any block scores 0 even when no call is expected: the model must write
  ``<tool_call>[]</tool_call>``;
- calls match as a multiset of ``(name, JSON of the arguments with sorted keys)`` (so ``1`` ≠ ``1.0`` ≠
  ``true``), order-free; names alone matching is the partial verdict v4 credits.

Variants (the paper's ablations), registered in :data:`toolcall_reward.REWARDS`:

==========================  ====  ===========================================================
name                        Tool  score
==========================  ====  ===========================================================
``tooln1``                  v0    1 when reasoning present, well-formed and the calls match, else 0
``tooln1_lexicographic``    v1    1.2 right with reasoning, 1 right without, -0.2 wrong with, 0 wrong without
``tooln1_no_reason``        v2    v0 without the reasoning check
``tooln1_partial_reason``   v3    0.2 for reasoning + 0.8 for matching calls
``tooln1_partial_name``     v4    v3, plus 0.2 (instead of 0.8) when only the called names match
==========================  ====  ===========================================================

``tooln1_v0`` … ``tooln1_v4`` name the same functions. Where Tool-N1's code raises (a block decoding to a
bare number or boolean: it iterates over it), the value counts as malformed calls. Records may list
``answer_alternatives``: the best verdict over the answers counts (Tool-N1's data has one answer each).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from toolcall_schema import Record, ToolCall
from toolcall_schema.fastjson import dumps_sorted, loads

from .config import RewardConfig
from .match import cached_gold_keys
from .rewards import RewardContext, RewardResult, register_reward

ASSISTANT_MARKER = "<|im_start|>assistant"
_OPEN, _CLOSE = "<tool_call>", "</tool_call>"
FULL, NAMES, WRONG = 2, 1, 0  # Tool-N1's validate_result verdicts


@dataclass(frozen=True, slots=True)
class ToolN1Output:
    """What Tool-N1's extraction sees in a completion."""

    reasoning: bool  # "<think>" and "</think>" both occur
    result: Any  # the decoded last block, a list for objects; None when there is no block or it is not JSON
    well_formed: bool  # result is a call list Tool-N1's validate_format accepts
    reason: str


def _last_block(text: str) -> str | None:
    """The body of the last ``<tool_call>(.*?)</tool_call>`` match, scanning left to right as ``re`` does."""
    body, pos = None, 0
    while (i := text.find(_OPEN, pos)) >= 0 and (j := text.find(_CLOSE, i + len(_OPEN))) >= 0:
        body, pos = text[i + len(_OPEN) : j], j + len(_CLOSE)
    return body


def _decode(body: str) -> Any:
    try:
        return loads(body.strip())
    except (ValueError, RecursionError):
        return None


def extract(text: str) -> ToolN1Output:
    """Tool-N1's ``extract_solution`` and the decoding steps shared by all its variants."""
    cut = text.rfind(ASSISTANT_MARKER)
    if cut >= 0:
        text = text[cut:]
    reasoning = "<think>" in text and "</think>" in text
    body = _last_block(text)
    if body is None:
        return ToolN1Output(reasoning, None, False, "format:no_tool_call")
    result = _decode(body)
    if isinstance(result, str):
        result = _decode(result)
    if isinstance(result, dict):
        result = [result]
    if result is None:
        return ToolN1Output(reasoning, None, False, "format:bad_json")
    if isinstance(result, list):
        ok = all(isinstance(it, dict) and "name" in it and "arguments" in it for it in result)
    else:  # a string iterates as characters (only "" passes); a number or boolean makes Tool-N1 raise
        ok = result == ""
    return ToolN1Output(reasoning, result, ok, "ok" if ok else "format:bad_shape")


def _multiset(items: list[tuple]) -> list | Counter:
    """A multiset for equality tests: a sorted list when the items order (str names, bytes keys: the common
    case, and faster to compare), else a Counter (any hashable name, as Tool-N1's code allows)."""
    if len({type(rest) for _, rest in items}) <= 1 and all(type(name) is str for name, _ in items):
        return sorted(items)
    return Counter(items)


def _keys(calls: Any) -> list | Counter:
    return _multiset([(c["name"], dumps_sorted(c["arguments"])) for c in calls])


def _verdict_one(result: list[dict[str, Any]] | str, gold: list[ToolCall]) -> int:
    if not result or not gold:
        return FULL if len(result) == len(gold) else WRONG
    try:
        if _keys(result) == cached_gold_keys(gold, "tooln1", lambda: _keys([c.to_dict() for c in gold])):
            return FULL
    except TypeError:  # an unhashable name
        return WRONG
    names_match = _multiset([(c["name"], "") for c in result]) == _multiset([(c.name, "") for c in gold])
    return NAMES if names_match else WRONG


def verdict(result: list[dict[str, Any]] | str, record: Record) -> tuple[int, str]:
    """Tool-N1's ``validate_result`` (2 full match, 1 names match, 0 wrong), best over the record's answers,
    and the reason."""
    got = max(_verdict_one(result, gold) for gold in [record.answer, *(record.answer_alternatives or [])])
    if got == FULL:
        return got, "ok"
    if got == NAMES:
        return got, "wrong_arguments"
    if not result:
        return got, "no_call"
    if not record.answer:
        return got, "unexpected_call"
    return got, "wrong_count" if len(result) != len(record.answer) else "wrong_name"


def _parts(text: str, record: Record) -> tuple[ToolN1Output, int, str]:
    out = extract(text)
    if not out.well_formed:
        return out, WRONG, out.reason
    got, reason = verdict(out.result, record)
    return out, got, reason


def _result(score: float, out: ToolN1Output, got: int, reason: str, needs_reasoning: bool = False) -> RewardResult:
    """``correct``: the calls match (and, for v0, the reasoning it requires is there)."""
    components = {"reasoning": float(out.reasoning), "format": float(out.well_formed), "match": float(got == FULL)}
    correct = got == FULL and (out.reasoning or not needs_reasoning)
    return RewardResult(score, components, reason, correct=correct)


def v0(text: str, record: Record, cfg: RewardConfig, ctx: RewardContext) -> RewardResult:
    out, got, reason = _parts(text, record)
    if out.result is not None and not out.reasoning:
        return _result(0.0, out, got, "format:missing_think", needs_reasoning=True)
    return _result(float(got == FULL), out, got, reason, needs_reasoning=True)


def v1(text: str, record: Record, cfg: RewardConfig, ctx: RewardContext) -> RewardResult:
    out, got, reason = _parts(text, record)
    if out.result is None:
        return _result(0.0, out, got, reason)
    if got == FULL:
        return _result(1.2 if out.reasoning else 1.0, out, got, reason)
    return _result(-0.2 if out.reasoning else 0.0, out, got, reason)


def v2(text: str, record: Record, cfg: RewardConfig, ctx: RewardContext) -> RewardResult:
    out, got, reason = _parts(text, record)
    return _result(float(got == FULL), out, got, reason)


def v3(text: str, record: Record, cfg: RewardConfig, ctx: RewardContext) -> RewardResult:
    out, got, reason = _parts(text, record)
    return _result(0.2 * out.reasoning + 0.8 * (got == FULL), out, got, reason)


def v4(text: str, record: Record, cfg: RewardConfig, ctx: RewardContext) -> RewardResult:
    out, got, reason = _parts(text, record)
    return _result(0.2 * out.reasoning + (0.8 if got == FULL else 0.2 if got == NAMES else 0.0), out, got, reason)


VARIANTS: dict[str, tuple[str, Callable[[str, Record, RewardConfig, RewardContext], RewardResult]]] = {
    "v0": ("tooln1", v0),
    "v1": ("tooln1_lexicographic", v1),
    "v2": ("tooln1_no_reason", v2),
    "v3": ("tooln1_partial_reason", v3),
    "v4": ("tooln1_partial_name", v4),
}
for _version, (_name, _fn) in VARIANTS.items():
    register_reward(_name)(_fn)
    register_reward(f"tooln1_{_version}")(_fn)
