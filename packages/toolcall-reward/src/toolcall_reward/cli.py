"""``toolcall-reward score``: score completions against records and summarise."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import asdict, fields
from pathlib import Path

from toolcall_schema import RecordError, read_jsonl
from toolcall_schema.io import atomic_write, json_lines
from tqdm import tqdm

from .config import RewardConfig
from .rewards import REWARDS, score


def read_completions(path: Path) -> list[tuple[str, str]]:
    """(record id, completion text) pairs from JSONL with ``id`` (or ``record_id``) and ``completion``
    (or ``text``); several completions may share an id."""
    out = []
    with path.open(encoding="utf-8") as f:
        for lineno, row in json_lines(f, str(path)):
            rid = row.get("id", row.get("record_id")) if isinstance(row, dict) else None
            text = row.get("completion", row.get("text")) if isinstance(row, dict) else None
            if not isinstance(rid, str) or not isinstance(text, str):
                raise RecordError(
                    f"line {lineno}: needs string 'id' and 'completion'",
                    source=str(path),
                    field="id" if not isinstance(rid, str) else "completion",
                )
            out.append((rid, text))
    return out


def parse_override(item: str) -> tuple[str, object]:
    """``key=value`` typed by the RewardConfig field's default (bool, int, float, str or JSON list)."""
    key, sep, value = item.partition("=")
    defaults = RewardConfig()
    if not sep or not hasattr(defaults, key):
        raise ValueError(f"--set {item!r}: expected KEY=VALUE with KEY a RewardConfig field")
    kind = type(getattr(defaults, key))
    try:
        if kind is bool:
            if value.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError("expected true or false")
            return key, value.lower() in ("1", "true", "yes")
        if kind in (int, float):
            return key, kind(value)
        if kind is list:
            return key, [tuple(x) for x in json.loads(value)]
        return key, value
    except (ValueError, TypeError) as e:
        raise ValueError(f"--set {item!r}: {e}") from None


def cmd_score(a: argparse.Namespace) -> int:
    overrides = dict(parse_override(item) for item in a.set or [])
    cfg = RewardConfig(reward=a.reward, match=a.match, greedy=a.greedy).replace(**overrides)
    records = {r.id: r for r in read_jsonl(a.data)}
    completions = read_completions(Path(a.completions))
    missing = sorted({rid for rid, _ in completions if rid not in records})
    if missing:
        raise RecordError(f"{len(missing)} completion ids not in {a.data}: {missing[:5]}", source=a.completions)
    reasons: Counter[str] = Counter()
    total = 0.0
    with atomic_write(a.output) as out:
        for i, (rid, text) in enumerate(tqdm(completions, desc="score", disable=None, file=sys.stderr)):
            res = score(text, records[rid], cfg)
            reasons[res.reason] += 1
            total += res.score
            out.write(
                json.dumps(
                    {"id": rid, "index": i, "score": res.score, "components": res.components, "reason": res.reason}
                )
                + "\n"
            )
    n = len(completions)
    print(f"scored {n} completions ({cfg.reward}, match={cfg.match}): mean reward {total / n if n else 0:.4f}")
    for reason, k in reasons.most_common():
        print(f"  {k:7d} x {reason}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="toolcall-reward", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score", help="score COMPLETIONS.jsonl against RECORDS.jsonl")
    s.add_argument("--data", required=True, help="records JSONL (toolcall-schema)")
    s.add_argument("--completions", required=True, help="JSONL rows with 'id' and 'completion'")
    s.add_argument("--reward", default="binary", choices=sorted(REWARDS))
    s.add_argument("--match", default="schema", choices=["exact", "schema", "bfcl"])
    s.add_argument("--greedy", action="store_true", help="bfcl: first-fit pairing as BFCL does")
    names = ", ".join(f.name for f in fields(RewardConfig))
    s.add_argument("--set", action="append", metavar="KEY=VALUE", help=f"any RewardConfig field: {names}")
    s.add_argument("-o", "--output", required=True, help="scores JSONL")
    s.set_defaults(fn=cmd_score)
    sub.add_parser("config", help="print the default RewardConfig as JSON").set_defaults(
        fn=lambda a: print(json.dumps(asdict(RewardConfig()), indent=2)) or 0
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except (RecordError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
