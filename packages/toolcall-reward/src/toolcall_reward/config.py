"""Reward configuration: one dataclass, help text beside each field (TRL style)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

MatchMode = Literal["exact", "schema", "bfcl"]


@dataclass
class RewardConfig:
    """How completions are judged. Every field can be set from the CLI or a trainer config."""

    reward: str = field(default="binary", metadata={"help": "reward function: see toolcall_reward.REWARDS"})
    match: MatchMode = field(
        default="schema",
        metadata={
            "help": "call matching: exact (Tool-N1), schema (JSON-Schema equivalences) or bfcl (possible answers)"
        },
    )
    greedy: bool = field(
        default=False, metadata={"help": "bfcl: pair parallel calls first-fit as BFCL does (else optimal matching)"}
    )
    require_think: bool = field(default=True, metadata={"help": "the format needs a closed <think> block first"})
    syntax: Literal["auto", "json", "python", "hermes"] = field(
        default="json",
        metadata={
            "help": "what a <tool_call> body may be: json (Tool-N1: one block with a list), hermes (one call "
            "object per block, several blocks), python call syntax, or auto (any of them)"
        },
    )
    case_insensitive: bool = field(default=False, metadata={"help": "schema: strings compare ignoring case"})
    whitespace: bool = field(default=True, metadata={"help": "schema: strings compare with white space collapsed"})
    numeric_strings: bool = field(
        default=False, metadata={"help": 'schema: "5" counts as 5 for integer/number parameters'}
    )
    defaults: bool = field(default=True, metadata={"help": "schema: an omitted optional argument equals its default"})
    # Tool-N1 fine-grained ablation weights
    format_weight: float = field(default=0.2, metadata={"help": "fine: credit for a well-formed completion"})
    format_gate: bool = field(
        default=False,
        metadata={
            "help": "fine: the format credit only when the completion calls tools exactly when the gold answer "
            "does, so never calling cannot earn it"
        },
    )
    name_weight: float = field(default=0.2, metadata={"help": "fine: credit when the called names match"})
    full_weight: float = field(default=0.8, metadata={"help": "fine: credit when the calls fully match"})
    call_credit: bool = field(
        default=False,
        metadata={
            "help": "fine: short of a full match, full_weight times the share of calls that match one to one (of "
            "the larger of the predicted and gold counts), so each right call of a several-call answer pays"
        },
    )
    penalty: float = field(default=-1.0, metadata={"help": "penalized: reward for a malformed completion"})
    # Code-interpreter (SimpleGRPO Auto_Program) reward
    accuracy_weight: float = field(default=1.0, metadata={"help": "auto_program: weight of the boxed-answer term"})
    tool_weight: float = field(default=0.1, metadata={"help": "auto_program: weight of the tool-use term"})
    tool_cap: int = field(default=3, metadata={"help": "auto_program: tool-use term counts at most this many runs"})
    schedule: list[tuple[float, float, float]] = field(
        default_factory=lambda: [(0.0, 1.0, 0.5), (0.5, 0.5, 1.0), (1.0, 0.25, 1.0)],
        metadata={"help": "auto_program: (progress, format weight, accuracy scale) points, linearly interpolated"},
    )

    def replace(self, **changes: Any) -> RewardConfig:
        known = {f.name for f in fields(self)}
        bad = set(changes) - known
        if bad:
            raise ValueError(f"unknown reward config field(s): {sorted(bad)}")
        return RewardConfig(**{**{f.name: getattr(self, f.name) for f in fields(self)}, **changes})

    def __post_init__(self) -> None:
        if self.match not in ("exact", "schema", "bfcl"):
            raise ValueError(f"match must be exact, schema or bfcl, not {self.match!r}")
        if self.syntax not in ("auto", "json", "python", "hermes"):
            raise ValueError(f"syntax must be auto, json, python or hermes, not {self.syntax!r}")
