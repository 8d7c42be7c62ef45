"""BFCL multi-turn verdicts, decided as BFCL's ``multi_turn_checker`` decides them, and the rewards built on them.

A trajectory is, per user turn, the model's steps, each the list of calls it made in one message. Model calls
run on one :class:`~toolcall_schema.multi_turn.Session`, the ground truth's on another, both fresh from the
entry's initial configuration and kept across turns. After each turn whose ground truth is not empty:

- *empty turn*: the model made no call in that turn → fail;
- *state*: every public attribute of every ground-truth instance equals the model instance's;
- *response*: the ground truth's results of this turn are an unordered sub-multiset of all the model's results
  so far (a call made in an earlier turn counts).

The entry is correct when every turn passes, and fails outright when the model was cut off (fewer turns than the
ground truth, or BFCL's step cap hit). Unlike BFCL we keep checking after a failing turn, for the per-turn
fraction; the all-turns verdict is the same because no check depends on an earlier verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from toolcall_schema import Record, ToolCall, parse_output
from toolcall_schema.multi_turn import Call, Session, parse_call

from .rewards import RewardConfig, RewardContext, RewardResult, register_reward

EMPTY_TURN = "multi_turn:empty_turn_model_response"
STATE_MISMATCH = "multi_turn:instance_state_mismatch"
RESPONSE_MISMATCH = "multi_turn:execution_response_mismatch"
FORCE_TERMINATED = "multi_turn:force_terminated"

Steps = Sequence[Sequence[Sequence[Call | ToolCall | str]]]  # turns → steps → calls


@dataclass
class MultiTurnVerdict:
    """``valid``: every turn passed; ``error``: the first failing turn's reason; ``turns``: each turn's pass."""

    valid: bool
    error: str = ""
    turn: int | None = None
    turns: list[bool] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def fraction(self) -> float:
        """The share of turns that passed."""
        return sum(self.turns) / len(self.turns) if self.turns else 0.0


def _unordered_missing(expected: list[str], got: list[str]) -> list[str]:
    pool = list(got)
    missing = []
    for item in expected:
        if item in pool:
            pool.remove(item)
        else:
            missing.append(item)
    return missing


def check_multi_turn(record: Record, steps: Steps, force_quit: bool = False) -> MultiTurnVerdict:
    """The verdict on the model's calls ``steps`` (per turn, per step) for a ``bfcl_multi_turn`` record."""
    truth_turns: list[list[str]] = record.meta["ground_truth"]
    if force_quit or len(steps) != len(truth_turns):
        return MultiTurnVerdict(False, FORCE_TERMINATED, len(steps), [False] * len(truth_turns))
    model, truth = Session.for_record(record), Session.for_record(record)
    passed: list[bool] = []
    first: tuple[str, int, dict[str, Any]] | None = None
    for t, gold in enumerate(truth_turns):
        made = [step for step in steps[t] if step]
        for step in made:
            model.execute(step)
        gold_results = truth.execute([parse_call(c) for c in gold])
        error, details = "", {}
        if gold:
            if not made:
                error = EMPTY_TURN
            elif diff := model.differences(truth):
                error, details = STATE_MISMATCH, {"differences": diff}
            elif missing := _unordered_missing(gold_results, model.results):
                error, details = RESPONSE_MISMATCH, {"missing": missing}
        passed.append(not error)
        if error and first is None:
            first = (error, t, details)
    if first is None:
        return MultiTurnVerdict(True, turns=passed)
    return MultiTurnVerdict(False, first[0], first[1], passed, first[2])


def decode_steps(turns: Sequence[Sequence[str]]) -> list[list[list[ToolCall]]]:
    """Each step's text → the calls it makes (none when it makes no well-formed ``<tool_call>`` list, as BFCL skips
    a step it cannot decode)."""
    out = []
    for turn in turns:
        decoded = []
        for text in turn:
            parsed = parse_output(text, require_think=False, syntax="auto")
            decoded.append(parsed.calls if parsed.diagnosis.value == "ok" else [])
        out.append(decoded)
    return out


def verdict_of_episode(record: Record, episode: dict[str, Any] | None) -> MultiTurnVerdict:
    """The verdict on what a multi-turn environment recorded (``{"turns": [[step text]], "force_quit": bool,
    "finished": bool}``); a conversation cut off before its end (step cap, token budget) is force-terminated."""
    if not episode or "turns" not in episode:
        return MultiTurnVerdict(False, "error:no_episode")
    cut = bool(episode.get("force_quit")) or not episode.get("finished", True)
    return check_multi_turn(record, decode_steps(episode["turns"]), cut)


@register_reward("bfcl_multi_turn")
def bfcl_multi_turn(text: str, record: Record, cfg: RewardConfig, ctx: RewardContext) -> RewardResult:
    """BFCL's all-turns verdict: 1 when every turn passes, else 0 (needs the environment's episode)."""
    v = verdict_of_episode(record, ctx.episode)
    return RewardResult(float(v.valid), {"turns_passed": v.fraction}, v.error or "ok", correct=v.valid)


@register_reward("bfcl_multi_turn_turns")
def bfcl_multi_turn_turns(text: str, record: Record, cfg: RewardConfig, ctx: RewardContext) -> RewardResult:
    """The share of turns that pass BFCL's checks (denser than the all-turns verdict); correct = all pass."""
    v = verdict_of_episode(record, ctx.episode)
    return RewardResult(v.fraction, {"turns_passed": v.fraction}, v.error or "ok", correct=v.valid)
