"""Reward functions: ``score(completion, record, config) -> RewardResult``; pure, deterministic, never raises.

Registry (:data:`REWARDS`). The ones here use the strict R1 format rule of :func:`toolcall_schema.parse_output`
(a closed ``<think>`` first, then one ``<tool_call>`` block and nothing after it, or a plain answer when no call
is due). Tool-N1's own, looser rule and its five reward variants are in :mod:`toolcall_reward.tooln1`
(``tooln1``, ``tooln1_v1`` …).

- ``binary``: 1 iff the format is valid and the calls match; ``answer == []`` and no call → 1.
- ``fine`` (Tool-N1-style ablation): ``format_weight`` for a valid format + ``full_weight`` when the calls match,
  else ``name_weight`` when only the called names match; with ``call_credit``, ``full_weight`` times the share of
  calls that match one to one.
- ``penalized``: 1 when right, 0 when well-formed but wrong, ``penalty`` when malformed.
- ``toolrl`` (ToolRL): format (0/1) + correctness in [-3, 3] from name, parameter-key and value overlap.
- ``bfcl_multi_turn`` / ``bfcl_multi_turn_turns``: BFCL's multi-turn verdict on the episode a multi-turn
  environment recorded (all turns pass / the share that pass); see :mod:`toolcall_reward.multi_turn`.
- ``boxed``, ``think_answer_format``, ``tool_use`` and ``auto_program`` (SimpleGRPO's code interpreter):
  see :mod:`toolcall_reward.code_interpreter`.
"""

from __future__ import annotations

import functools
import inspect
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from toolcall_schema import ParsedOutput, Record, ToolCall, parse_output

from .config import RewardConfig
from .match import match_calls, matched_calls


@dataclass(slots=True)
class RewardResult:
    """The reward, its named parts, a short machine-readable reason (``ok``, ``format:<why>``, …) and whether the
    answer is right (``correct``: stated by each reward, never read off the score — a format-only credit or a
    partial one is not a right answer)."""

    score: float
    components: dict[str, float] = field(default_factory=dict)
    reason: str = "ok"
    correct: bool = False


@dataclass(frozen=True, slots=True)
class RewardContext:
    """What the trainer tells a reward at call time (TRL passes its ``trainer_state`` the same way)."""

    step: int = 0
    total_steps: int = 0
    episode: dict | None = None  # what a stateful environment recorded for this sample (multi-turn: the steps)

    @property
    def progress(self) -> float:
        """Training progress in [0, 1] (0 outside training)."""
        return min(1.0, self.step / self.total_steps) if self.total_steps > 0 else 0.0


NO_CONTEXT = RewardContext()
RewardFn = Callable[[str, Record, RewardConfig, RewardContext], RewardResult]
REWARDS: dict[str, RewardFn] = {}


def register_reward(name: str):
    """Add a reward function ``fn(text, record, config, context)`` to :data:`REWARDS` (verl-style registry); one
    written as ``fn(text, record, config)`` is registered too and simply gets no context."""

    def deco(fn):
        params = inspect.signature(fn).parameters
        if len(params) >= 4:
            REWARDS[name] = fn
        else:
            REWARDS[name] = functools.wraps(fn)(lambda text, record, cfg, ctx: fn(text, record, cfg))
        return fn

    return deco


def _parse(text: str, cfg: RewardConfig) -> ParsedOutput:
    return parse_output(text, require_think=cfg.require_think, syntax=cfg.syntax, strict=True)


def judge_calls(parsed: ParsedOutput, record: Record, cfg: RewardConfig) -> tuple[bool, str]:
    """Whether well-formed output's calls are right for the record, and why not."""
    if record.meta.get("any_call_is_correct"):
        return (bool(parsed.calls), "ok" if parsed.calls else "no_call")
    if not record.answer and not record.answer_alternatives:
        return (not parsed.calls, "ok" if not parsed.calls else "unexpected_call")
    if not parsed.calls and record.answer:
        return False, "no_call"
    m = match_calls(parsed.calls, record, cfg)
    return m.ok, m.reason


@register_reward("binary")
def binary(text: str, record: Record, cfg: RewardConfig) -> RewardResult:
    parsed = _parse(text, cfg)
    if not parsed.format_ok:
        return RewardResult(0.0, {"format": 0.0, "match": 0.0}, f"format:{parsed.diagnosis.value}")
    ok, reason = judge_calls(parsed, record, cfg)
    return RewardResult(float(ok), {"format": 1.0, "match": float(ok)}, reason, correct=ok)


def _names_match(calls: list[ToolCall], record: Record) -> bool:
    gold_sets = [record.answer, *(record.answer_alternatives or [])]
    names = Counter(c.name for c in calls)
    return any(names == Counter(c.name for c in gold) for gold in gold_sets)


@register_reward("fine")
def fine(text: str, record: Record, cfg: RewardConfig) -> RewardResult:
    parsed = _parse(text, cfg)
    fmt = float(parsed.format_ok and (not cfg.format_gate or bool(parsed.calls) == bool(record.answer)))
    full, reason = judge_calls(parsed, record, cfg) if parsed.ok else (False, f"format:{parsed.diagnosis.value}")
    name = full or (parsed.ok and _names_match(parsed.calls, record))
    share = 1.0 if full else 0.0
    if cfg.call_credit and not full and parsed.ok and parsed.calls and record.answer:
        share = matched_calls(parsed.calls, record, cfg) / max(len(parsed.calls), len(record.answer))
    match = cfg.full_weight * share if share else cfg.name_weight if name else 0.0
    score = cfg.format_weight * fmt + match
    correct = full and parsed.format_ok
    parts = {"format": fmt, "name": float(name), "full": float(full)} | ({"calls": share} if cfg.call_credit else {})
    return RewardResult(score, parts, reason, correct=correct)


@register_reward("penalized")
def penalized(text: str, record: Record, cfg: RewardConfig) -> RewardResult:
    parsed = _parse(text, cfg)
    if not parsed.format_ok:
        return RewardResult(cfg.penalty, {"format": 0.0, "match": 0.0}, f"format:{parsed.diagnosis.value}")
    ok, reason = judge_calls(parsed, record, cfg)
    return RewardResult(float(ok), {"format": 1.0, "match": float(ok)}, reason, correct=ok)


def _jaccard(a: set, b: set) -> float:
    return 1.0 if not a and not b else len(a & b) / len(a | b)


@register_reward("toolrl")
def toolrl(text: str, record: Record, cfg: RewardConfig) -> RewardResult:
    """ToolRL: format ∈ {0, 1}; correctness = 6·(name + keys + values)/S_max − 3 with calls paired by name,
    S_max = 1 + |gold calls| + Σ|gold keys|."""
    parsed = _parse(text, cfg)
    fmt = float(parsed.format_ok)
    gold = record.answer
    pred = parsed.calls if parsed.ok else []
    if not gold:
        correct = 3.0 if not pred else -3.0
        parts = {"format": fmt, "correctness": correct}
        reason = "ok" if not pred else "unexpected_call"
        return RewardResult(fmt + correct, parts, reason, correct=bool(fmt) and not pred)
    r_name = _jaccard({c.name for c in pred}, {c.name for c in gold})
    r_keys = r_values = 0.0
    remaining = list(pred)
    for g in gold:
        best, best_i = None, -1
        for i, p in enumerate(remaining):
            if p.name == g.name:
                s = len(set(p.arguments) & set(g.arguments)) + sum(
                    1 for k, v in g.arguments.items() if k in p.arguments and p.arguments[k] == v
                )
                if best is None or s > best:
                    best, best_i = s, i
        if best_i >= 0:
            p = remaining.pop(best_i)
            r_keys += _jaccard(set(p.arguments), set(g.arguments))
            r_values += sum(1 for k, v in g.arguments.items() if k in p.arguments and p.arguments[k] == v)
    s_max = 1 + len(gold) + sum(len(g.arguments) for g in gold)
    correct = 6.0 * (r_name + r_keys + r_values) / s_max - 3.0
    full = correct >= 3.0 - 1e-9
    return RewardResult(
        fmt + correct,
        {"format": fmt, "correctness": correct, "name": r_name, "keys": r_keys, "values": r_values},
        "ok" if full else "partial",
        correct=bool(fmt) and full,
    )


def score(
    text: str, record: Record, config: RewardConfig | None = None, context: RewardContext | None = None
) -> RewardResult:
    """Score one completion against one record (``context``: the training step, for scheduled rewards). Never
    raises on any completion text."""
    cfg = config or RewardConfig()
    fn = REWARDS.get(cfg.reward)
    if fn is None:
        raise ValueError(f"unknown reward {cfg.reward!r}; choose from {', '.join(sorted(REWARDS))}")
    if not isinstance(text, str):
        text = ""
    try:
        return fn(text, record, cfg, context or NO_CONTEXT)
    except RecursionError:
        return RewardResult(0.0, {}, "error:too_deep")


def score_batch(
    texts: Iterable[str],
    records: Iterable[Record],
    config: RewardConfig | None = None,
    context: RewardContext | None = None,
) -> list[RewardResult]:
    """``score`` over aligned completions and records."""
    cfg = config or RewardConfig()
    return [score(t, r, cfg, context) for t, r in zip(texts, records, strict=True)]
