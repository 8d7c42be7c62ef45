"""Reward throughput: rewards/s over N completions for ``binary`` in each match mode, against a faithful
re-implementation of Tool-N1's ``compute_score`` (regex extraction of the ``<tool_call>`` body, a
``<think>`` check, JSON decoding of the ground truth it receives as a string, and a multiset of
``(name, json.dumps(arguments, sort_keys=True))``) run in the same process on the same completions.
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

# ---- baseline: Tool-N1's reward semantics, written from the paper's description of its code ----
_TN1_CALL = re.compile(r"<tool_call>([^{}]*(\{.*?\})[^{}]*)</tool_call>", re.DOTALL)
_TN1_FORMAT = re.compile(r".*<think>.*</think>.*<tool_call>.*</tool_call>.*", re.DOTALL)


def tooln1_compute_score(solution: str, ground_truth: str) -> float:
    answer = json.loads(ground_truth)
    m = _TN1_CALL.search(solution)
    if m is None:
        # no call: right only when the gold answer is empty and the reasoning is there
        return float(not answer and "<think>" in solution and "</think>" in solution)
    if not _TN1_FORMAT.fullmatch(solution):
        return 0.0
    try:
        result = json.loads(m.group(1).strip())
    except json.JSONDecodeError:
        return 0.0
    if isinstance(result, dict):
        result = [result]
    if not isinstance(result, list) or len(result) != len(answer):
        return 0.0
    try:
        got = Counter((c["name"], json.dumps(c["arguments"], sort_keys=True)) for c in result)
        want = Counter((c["name"], json.dumps(c["arguments"], sort_keys=True)) for c in answer)
    except (TypeError, KeyError):
        return 0.0
    return float(got == want)


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
        elif kind < 0.8:
            text = format_completion(r.answer, think=think).replace("<think>", "")
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
    result = {"completions": len(cases)}
    fns = {"tooln1": lambda t, r, g: tooln1_compute_score(t, g)}
    for mode in ("exact", "schema", "bfcl"):
        cfg = RewardConfig(match=mode)
        fns[mode] = lambda t, r, g, cfg=cfg: score(t, r, cfg).score
    measured = rates(fns, cases)
    base_rate, base_scores = measured.pop("tooln1")
    result["tooln1_compute_score_per_s"] = round(base_rate)
    result["tooln1_mean_reward"] = round(sum(base_scores) / len(base_scores), 4)
    for mode, (rate, scores) in measured.items():
        result[f"binary_{mode}_per_s"] = round(rate)
        result[f"binary_{mode}_vs_tooln1"] = round(rate / base_rate, 2)
        result[f"binary_{mode}_mean_reward"] = round(sum(scores) / len(scores), 4)
    print(json.dumps(result, indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
