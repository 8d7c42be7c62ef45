"""BFCL v4 multi-turn (base, miss_func, miss_param, long_context), scored as BFCL's ``multi_turn_checker`` scores
them (:mod:`toolcall_reward.multi_turn`; ``--check-official`` runs BFCL's own checker on the same decoded calls).

``bench-eval run`` plays each entry as a conversation in the ``bfcl_multi_turn`` environment; a prediction is the
episode it recorded, ``{"turns": [[step text]], "force_quit", "finished"}`` (JSON). ``bench-eval score`` also
takes BFCL's own result files, whose ``result`` is the model's raw text per turn and step. The aggregate is
BFCL v4's multi-turn score: the unweighted mean of the four categories.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolcall_reward.multi_turn import decode_steps, verdict_of_episode
from toolcall_schema import Record
from toolcall_schema.converters.bfcl_multi_turn import MULTI_TURN_CATEGORIES, multi_turn_path

from .core import Benchmark, Scored, mean, register


def episode_of(output: str) -> dict[str, Any] | None:
    """A prediction as an episode: ours (a JSON object with ``turns``) or BFCL's result (a JSON list of turns)."""
    try:
        value = json.loads(output)
    except (TypeError, ValueError):
        return None
    if isinstance(value, dict) and isinstance(value.get("turns"), list):
        return value
    if isinstance(value, list) and all(isinstance(t, list) for t in value):
        return {"turns": [[str(step) for step in turn] for turn in value], "force_quit": False, "finished": True}
    return None


@register("bfcl_multi_turn")
class BFCLMultiTurn(Benchmark):
    categories = MULTI_TURN_CATEGORIES
    default_categories = MULTI_TURN_CATEGORIES
    output = "multi_turn"
    default_max_tokens = 4096  # every step and injected message of the conversation, within the model's context
    default_max_step_tokens = 256  # one message; a longer one is cut there and taken as written (ends its turn)

    def load(self, categories=None, data=None, limit=None) -> list[Record]:
        records: list[Record] = []
        for cat in self.resolve(categories):
            path = multi_turn_path(cat) if data is None else Path(data) / f"BFCL_v4_{cat}.json"
            recs = self.convert("bfcl_multi_turn", path, cat)
            records.extend(recs[:limit] if limit else recs)
        return records

    def score(self, record: Record, output: str) -> Scored:
        episode = episode_of(output)
        if episode is None:
            return Scored(record.id, self.category(record), False, "decode:not_an_episode")
        v = verdict_of_episode(record, episode)
        reason = "ok" if v.valid else v.error
        if v.error == "multi_turn:force_terminated" and not episode.get("force_quit"):
            reason = "multi_turn:cut_off"  # our token budget or context window, not BFCL's step cap
        return Scored(record.id, self.category(record), v.valid, reason)

    def summary(self, table: dict[str, dict[str, Any]]) -> dict[str, float]:
        parts = [table[c]["accuracy"] for c in MULTI_TURN_CATEGORIES if c in table]
        return {"multi_turn": mean(parts)} if parts else {}


def official_disagreements(records: list[Record], predictions: dict[str, str]) -> list[dict[str, Any]]:
    """Entries where our verdict and BFCL's ``multi_turn_checker`` differ on the same decoded calls."""
    from toolcall_reward.multi_turn import check_multi_turn

    from .official import official_multi_turn_valid

    out = []
    for r in records:
        episode = episode_of(predictions.get(r.id, ""))
        if r.source != "bfcl_multi_turn" or episode is None:
            continue
        if episode.get("force_quit") or not episode.get("finished", True):
            continue  # cut off: BFCL's runner fails it before its checker runs, and so do we
        steps = decode_steps(episode["turns"])
        ours, theirs = check_multi_turn(r, steps).valid, official_multi_turn_valid(r, steps)
        if ours != theirs:
            out.append({"id": r.id, "ours": ours, "official": theirs})
    return out
