"""Adapter to TRL's ``GRPOTrainer(reward_funcs=[...])`` (and any caller with the same signature).

TRL calls ``reward(prompts=..., completions=..., **columns)`` with every dataset column as a keyword list.
Give the dataset a ``record`` column (a Record's JSON or dict), or the flat columns written by
``toolcall_schema.to_dataset`` (``id``, ``source``, ``tools``, ``messages``, ``answer``, …)::

    from toolcall_reward import RewardConfig, trl_reward
    trainer = GRPOTrainer(model=..., reward_funcs=[trl_reward(RewardConfig(match="schema"))], train_dataset=ds)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from toolcall_schema import Record
from toolcall_schema.io import from_row

from .config import RewardConfig
from .rewards import RewardContext, score


def _completion_text(c: Any) -> str:
    if isinstance(c, str):
        return c
    if isinstance(c, list) and c and isinstance(c[-1], dict):  # conversational: list of messages
        return str(c[-1].get("content") or "")
    if isinstance(c, dict):
        return str(c.get("content") or "")
    return ""


def _records(n: int, columns: dict[str, Any], record_column: str) -> list[Record]:
    if record_column in columns:
        out = []
        for r in columns[record_column]:
            out.append(r if isinstance(r, Record) else Record.from_dict(json.loads(r) if isinstance(r, str) else r))
        return out
    if "answer" in columns and "tools" in columns:
        keys = [
            k
            for k in ("id", "source", "tools", "messages", "answer", "alternatives", "answer_alternatives", "meta")
            if k in columns
        ]
        return [from_row({k: columns[k][i] for k in keys}) for i in range(n)]
    raise KeyError(f"the dataset needs a {record_column!r} column or toolcall_schema.to_dataset's columns")


def trl_reward(config: RewardConfig | None = None, *, record_column: str = "record") -> Callable[..., list[float]]:
    """A TRL ``reward_funcs`` callable scoring each completion against its row's record."""
    cfg = config or RewardConfig()

    def reward(prompts: list[Any] | None = None, completions: list[Any] | None = None, **columns: Any) -> list[float]:
        completions = completions or []
        state = columns.pop("trainer_state", None)  # TRL's TrainerState: the schedule's progress
        ctx = RewardContext(int(getattr(state, "global_step", 0) or 0), int(getattr(state, "max_steps", 0) or 0))
        records = _records(len(completions), columns, record_column)
        return [score(_completion_text(c), r, cfg, ctx).score for c, r in zip(completions, records, strict=True)]

    reward.__name__ = f"toolcall_{cfg.reward}_{cfg.match}"
    return reward
