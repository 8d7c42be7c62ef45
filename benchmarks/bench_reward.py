"""Reward throughput: rewards/s over N completions for our ``tooln1`` reward (Tool-N1's ``compute_score_v0``,
bit for bit) and ``binary`` in each match mode, against a plain implementation of Tool-N1's actual scoring rules
run in the same process on the same completions: the text after the last ``<|im_start|>assistant``, the last
``<tool_call>(.*?)</tool_call>`` match decoded with ``json.loads`` (a JSON string decoded again, one object
wrapped in a list), ``<think>``/``</think>`` substring checks, every item an object with ``name`` and
``arguments``, the ground truth decoded from its JSON string each call, and a multiset of
``(name, json.dumps(arguments, sort_keys=True))``. Before timing, that baseline is checked against Tool-N1's own
verdicts (``../shared/data/tool-n1-reward-verdicts.jsonl``, when present) and against ``tooln1`` on every case.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import Counter
from pathlib import Path

from toolcall_reward import RewardConfig, score
from toolcall_schema import Message, Record, Tool, ToolCall, format_completion

VERDICTS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "tool-n1-reward-verdicts.jsonl"

# ---- baseline: Tool-N1's compute_score_v0 rules, implemented plainly (as its code does them) ----
_TN1_BLOCK = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)


def tooln1_compute_score(solution: str, ground_truth: str) -> float:
    answer = json.loads(ground_truth)
    cut = solution.rfind("<|im_start|>assistant")
    text = solution[cut:] if cut != -1 else solution
    blocks = list(_TN1_BLOCK.finditer(text))
    result = None
    if blocks:
        try:
            result = json.loads(blocks[-1].group(1).strip())
        except json.JSONDecodeError:
            result = None
    if isinstance(result, str):
        try:
            result = json.loads(result)
        except json.JSONDecodeError:
            result = None
    if isinstance(result, dict):
        result = [result]
    if result is None or "<think>" not in text or "</think>" not in text:
        return 0.0
    if not isinstance(result, (list, str)):
        return 0.0  # Tool-N1's code raises on a bare number; counted as malformed
    if any(not isinstance(c, dict) or "name" not in c or "arguments" not in c for c in result):
        return 0.0
    if not result or not answer:
        return float(len(result) == len(answer))
    try:
        got = Counter((c["name"], json.dumps(c["arguments"], sort_keys=True)) for c in result)
        want = Counter((c["name"], json.dumps(c["arguments"], sort_keys=True)) for c in answer)
    except TypeError:
        return 0.0
    return float(got == want)


def check_baseline_against_tooln1_verdicts() -> int:
    """Rows of Tool-N1's own verdicts the baseline reproduces (all of them, or it is not Tool-N1's rule)."""
    if not VERDICTS.exists():
        return 0
    rows = [json.loads(line) for line in VERDICTS.open(encoding="utf-8")]
    wrong = []
    for r in rows:
        if tooln1_compute_score(r["completion"], json.dumps(r["answer"])) != r["tooln1"]["v0"]:
            wrong.append(r["bfcl_id"])
    if wrong:
        raise SystemExit(f"baseline differs from Tool-N1's verdicts on {len(wrong)} rows, first {wrong[:5]}")
    return len(rows)


def make_cases(n: int, seed: int = 0) -> list[tuple[str, Record, str]]:
    rng = random.Random(seed)
    records = []
    for i in range(max(1, n // 100)):
        tools, answer = [], []
        for t in range(rng.randint(1, 4)):
            props = {f"p{j}": {"type": rng.choice(["string", "integer", "number"])} for j in range(rng.randint(1, 4))}
            tools.append(
                Tool(f"tool_{i}_{t}", "desc", {"type": "object", "properties": props, "required": list(props)})
            )
            if rng.random() < 0.6 or not answer:
                args = {k: ("v" * rng.randint(1, 9) if s["type"] == "string" else rng.randint(0, 99))
                        for k, s in props.items()}  # fmt: skip
                answer.append(ToolCall(tools[-1].name, args))
        records.append(Record(f"r{i}", "bench", tools, [Message("user", "please " * 20)], answer))
    cases = []
    for k in range(n):
        r = records[k % len(records)]
        kind = rng.random()
        think = "I should look at the tools and pick the right one. " * rng.randint(1, 6)
        if kind < 0.4:
            calls = list(reversed(r.answer))
            text = format_completion(calls, think=think)
        elif kind < 0.6:
            bad = [ToolCall(c.name, {kk: (str(v) + "x") for kk, v in c.arguments.items()}) for c in r.answer]
            text = format_completion(bad, think=think)
        elif kind < 0.7:
            text = format_completion(r.answer[:-1] or r.answer * 2, think=think)
        elif kind < 0.75:
            text = format_completion(r.answer, think=think).replace("<think>", "")
        elif kind < 0.8:
            text = "Let me call it. " + format_completion(r.answer, think=think) + " Done."
        elif kind < 0.85:
            text = format_completion(r.answer[:1], think=think) + "\n" + format_completion(r.answer, think="again")
        elif kind < 0.9:
            text = f'<think>{think}</think><tool_call>[{{"name": broken</tool_call>'
        else:
            text = f"<think>{think}</think>I cannot help with that."
        cases.append((text, r, json.dumps([c.to_dict() for c in r.answer])))
    return cases


def rates(fns: dict, cases, repeat: int = 3) -> dict[str, tuple[float, list[float]]]:
    """Best-of-``repeat`` throughput of each function, runs interleaved so drift hits all alike."""
    best = {name: float("inf") for name in fns}
    outs: dict[str, list[float]] = {}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            outs[name] = [fn(t, r, g) for t, r, g in cases]
            best[name] = min(best[name], time.perf_counter() - t0)
    return {name: (len(cases) / best[name], outs[name]) for name in fns}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--out", default="benchmarks/results/bench_reward.json")
    args = ap.parse_args()
    cases = make_cases(args.n)
    result = {
        "completions": len(cases),
        "baseline_checked_on_tooln1_verdicts": check_baseline_against_tooln1_verdicts(),
    }
    ours = RewardConfig(reward="tooln1")
    differ = sum(tooln1_compute_score(t, g) != score(t, r, ours).score for t, r, g in cases)
    if differ:
        raise SystemExit(f"our tooln1 reward differs from the baseline on {differ} cases")
    fns = {"baseline": lambda t, r, g: tooln1_compute_score(t, g)}
    fns["ours_tooln1"] = lambda t, r, g: score(t, r, ours).score
    for mode in ("exact", "schema", "bfcl"):
        cfg = RewardConfig(match=mode)
        fns[mode] = lambda t, r, g, cfg=cfg: score(t, r, cfg).score
    measured = rates(fns, cases)
    base_rate, base_scores = measured.pop("baseline")
    result["tooln1_rules_baseline_per_s"] = round(base_rate)
    result["tooln1_rules_baseline_mean_reward"] = round(sum(base_scores) / len(base_scores), 4)
    for name, (rate, scores) in measured.items():
        key = name if name == "ours_tooln1" else f"binary_{name}"
        result[f"{key}_per_s"] = round(rate)
        result[f"{key}_vs_baseline"] = round(rate / base_rate, 2)
        result[f"{key}_mean_reward"] = round(sum(scores) / len(scores), 4)
    print(json.dumps(result, indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
