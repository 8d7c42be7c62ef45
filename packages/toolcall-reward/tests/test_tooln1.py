"""Tool-N1's rewards (``tooln1`` = its ``compute_score_v0``, ablations v1–v4) against the scores Tool-N1's own
code gave on 10,388 completions of BFCL gold answers (``../shared/data/tool-n1-reward-verdicts.jsonl``)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from toolcall_reward import REWARDS, RewardConfig, score
from toolcall_reward.tooln1 import VARIANTS, extract
from toolcall_schema import Message, Record, ToolCall

VERDICTS = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "tool-n1-reward-verdicts.jsonl"


def record(answer: list[dict], alternatives: list[list[dict]] | None = None) -> Record:
    calls = [ToolCall(c["name"], c["arguments"]) for c in answer]
    alts = [[ToolCall(c["name"], c["arguments"]) for c in a] for a in alternatives] if alternatives else None
    return Record("r", "test", [], [Message("user", "q")], calls, answer_alternatives=alts)


@pytest.fixture(scope="module")
def verdicts() -> list[dict]:
    if not VERDICTS.exists():
        pytest.skip(f"{VERDICTS} is absent (only in the project's workspace)")
    return [json.loads(line) for line in VERDICTS.open(encoding="utf-8")]


@pytest.mark.parametrize("version", sorted(VARIANTS))
def test_every_verdict_of_tool_n1_own_code_is_reproduced(verdicts, version):
    cfg = RewardConfig(reward=VARIANTS[version][0])
    wrong = []
    for row in verdicts:
        ours = score(row["completion"], record(row["answer"]), cfg).score
        if ours != row["tooln1"][version]:
            wrong.append((row["bfcl_id"], row["format"], row["perturbation"], row["tooln1"][version], ours))
    assert len(verdicts) == 10388
    assert wrong == [], f"{len(wrong)} of {len(verdicts)} differ, first: {wrong[:5]}"


def test_the_corpus_exercises_every_format_rule(verdicts):
    """The corpus has the cases the rules differ on: no block at all, text around the block, two blocks."""
    formats = Counter(row["format"] for row in verdicts)
    for kind in ("no_tags", "text_before", "text_after", "two_blocks_last", "two_blocks_first", "single_dict",
                 "hermes_blocks", "think_after", "no_think", "bad_json", "missing_arguments_key"):  # fmt: skip
        assert formats[kind] >= 300, kind
    assert {row["tooln1"]["v0"] for row in verdicts} == {0.0, 1.0}


GOLD = [{"name": "f", "arguments": {"a": 1, "b": "x"}}, {"name": "g", "arguments": {}}]


def block(payload: str, before: str = "<think>ok</think>", after: str = "") -> str:
    return f"{before}<tool_call>{payload}</tool_call>{after}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (block(json.dumps(GOLD[::-1])), 1.0),  # call order does not matter
        (block(json.dumps([{"name": "f", "arguments": {"b": "x", "a": 1}}, GOLD[1]])), 1.0),  # nor key order
        (block(json.dumps([{"name": "f", "arguments": {"a": 1.0, "b": "x"}}, GOLD[1]])), 0.0),  # 1 is not 1.0
        ("prose " + block(json.dumps(GOLD)) + " more prose", 1.0),  # text around the block is allowed
        (block(json.dumps(GOLD), before="", after="<think>late</think>"), 1.0),  # <think> anywhere
        (block(json.dumps(GOLD), before="<think>unclosed"), 0.0),
        (block("[]") + block(json.dumps(GOLD)), 1.0),  # the last block counts
        (block(json.dumps(GOLD)) + block("[]"), 0.0),
        (block(json.dumps(json.dumps(GOLD))), 1.0),  # a JSON string holding the list
        (block('[{"name": "f", "arguments": {"a": 1, "b": "x"}, "extra": 1}, {"name": "g", "arguments": {}}]'), 1.0),
        (block('[{"name": "f"}, {"name": "g", "arguments": {}}]'), 0.0),
        (block("5"), 0.0),  # Tool-N1's code raises here; counted as malformed
        ("<|im_start|>assistant<think>a</think>" + block(json.dumps(GOLD), before=""), 1.0),
        (block(json.dumps(GOLD)) + "<|im_start|>assistant\nno calls", 0.0),  # only the last turn counts
    ],
)
def test_format_rules(text, expected):
    assert score(text, record(GOLD), RewardConfig(reward="tooln1")).score == expected


def test_no_call_needs_an_empty_block():
    empty, tooln1 = record([]), RewardConfig(reward="tooln1")
    assert score("<think>nothing fits</think>I cannot help.", empty, tooln1).score == 0.0
    assert score("<think>nothing fits</think><tool_call>[]</tool_call>", empty, tooln1).score == 1.0
    # our R1 rule (binary) accepts the plain answer
    assert score("<think>nothing fits</think>I cannot help.", empty, RewardConfig(reward="binary")).score == 1.0


def test_ablation_scores_and_alternatives():
    r = record(GOLD)
    names_only = block(json.dumps([{"name": "f", "arguments": {"a": 2}}, GOLD[1]]))
    expected = {"v0": 0.0, "v1": -0.2, "v2": 0.0, "v3": 0.2, "v4": 0.4}
    for version, (name, _) in VARIANTS.items():
        assert score(names_only, r, RewardConfig(reward=name)).score == expected[version]
        assert REWARDS[f"tooln1_{version}"] is REWARDS[name]
    no_think = block(json.dumps(GOLD), before="")
    got = {v: score(no_think, r, RewardConfig(reward=n)).score for v, (n, _) in VARIANTS.items()}
    assert got == {"v0": 0.0, "v1": 1.0, "v2": 1.0, "v3": 0.8, "v4": 0.8}
    other = [{"name": "h", "arguments": {"z": True}}]
    alt = record(GOLD, alternatives=[other])
    assert score(block(json.dumps(other)), alt, RewardConfig(reward="tooln1")).score == 1.0
    result = score(names_only, r, RewardConfig(reward="tooln1"))
    assert result.reason == "wrong_arguments" and result.components["format"] == 1.0


def test_extract_pairs_tags_like_the_regex():
    out = extract("<tool_call>[1<tool_call>[]</tool_call>")
    assert out.result is None and out.reason == "format:bad_json"  # the body is "[1<tool_call>[]"
    assert extract("<think></think>").reason == "format:no_tool_call"
