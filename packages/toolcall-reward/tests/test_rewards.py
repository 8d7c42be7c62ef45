import json

import pytest
from toolcall_reward import REWARDS, RewardConfig, RewardContext, score, score_batch, trl_reward
from toolcall_reward.cli import main
from toolcall_reward.code_interpreter import last_boxed, schedule_weights
from toolcall_schema import Message, Record, Tool, ToolCall, format_completion, to_dataset, write_jsonl

TOOLS = [
    Tool(
        "weather",
        "",
        {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer", "default": 1}},
            "required": ["city"],
        },
    ),  # fmt: skip
    Tool("news", "", {"type": "object", "properties": {"topic": {"type": "string"}}, "required": ["topic"]}),
]
GOLD = [ToolCall("weather", {"city": "Oslo", "days": 3}), ToolCall("news", {"topic": "ai"})]
REC = Record("r1", "t", TOOLS, [Message("user", "q")], GOLD)


def text(calls, think="t"):
    return format_completion(calls, think=think)


def test_binary_reasons():
    assert score(text(GOLD), REC).reason == "ok"
    assert score("no think", REC).reason == "format:missing_think"
    assert score(text([GOLD[0]]), REC).reason == "wrong_count"
    assert score(text([GOLD[0], ToolCall("weather", {"city": "x"})]), REC).reason == "wrong_name"
    assert score(text([GOLD[0], ToolCall("news", {"topic": "b"})]), REC).reason == "wrong_arguments"
    assert score("<think>t</think>I will not call.", REC).reason == "no_call"


def test_no_call_answers_and_relevance():
    no_call = Record("r2", "t", TOOLS, REC.messages, [])
    assert score("<think>t</think>None of the tools fit.", no_call).score == 1.0
    assert score(text(GOLD), no_call).reason == "unexpected_call"
    relevance = Record("r3", "t", TOOLS, REC.messages, [], meta={"any_call_is_correct": True})
    assert score(text([ToolCall("news", {"topic": "anything"})]), relevance).score == 1.0
    assert score("<think>t</think>no", relevance).score == 0.0


def test_answer_alternatives_accept_either_answer():
    rec = Record("r4", "t", TOOLS, REC.messages, [GOLD[0]], answer_alternatives=[[GOLD[1]]])
    assert score(text([GOLD[1]]), rec).score == 1.0 and score(text([GOLD[0]]), rec).score == 1.0


def test_fine_and_penalized_ablations():
    cfg = RewardConfig(reward="fine")
    assert score(text(GOLD), REC, cfg).score == pytest.approx(1.0)
    names_only = [ToolCall("weather", {"city": "Rome"}), ToolCall("news", {"topic": "ai"})]
    assert score(text(names_only), REC, cfg).score == pytest.approx(0.4)
    assert score(text([ToolCall("news", {"topic": "ai"})]), REC, cfg).score == pytest.approx(0.2)
    assert score("garbage", REC, cfg).score == 0.0
    never_call = "<think>t</think>I will not call."
    assert score(never_call, REC, cfg).score == pytest.approx(0.2)  # format credit, though a call was needed
    gated = RewardConfig(reward="fine", format_gate=True)
    assert score(never_call, REC, gated).score == 0.0  # skipping the call earns nothing
    assert score(text([ToolCall("news", {"topic": "ai"})]), REC, gated).score == pytest.approx(0.2)
    no_call = Record("r5", "t", TOOLS, REC.messages, [])
    assert score(never_call, no_call, gated).score == pytest.approx(1.0)
    assert score(text(GOLD), no_call, gated).score == 0.0
    pen = RewardConfig(reward="penalized", penalty=-0.5)
    assert [score(t, REC, pen).score for t in (text(GOLD), text(names_only), "garbage")] == [1.0, 0.0, -0.5]


def test_call_credit_pays_each_right_call_of_a_several_call_answer():
    cfg = RewardConfig(reward="fine", name_weight=0.0, format_gate=True, call_credit=True)
    plain = RewardConfig(reward="fine", name_weight=0.0, format_gate=True)
    one_right = [GOLD[0]]
    assert score(text(one_right), REC, plain).score == pytest.approx(0.2)  # the format alone, as before
    r = score(text(one_right), REC, cfg)
    assert r.score == pytest.approx(0.2 + 0.8 / 2) and r.components["calls"] == 0.5 and not r.correct
    assert score(text(GOLD), REC, cfg).score == pytest.approx(1.0) and score(text(GOLD), REC, cfg).correct
    assert score(text([*GOLD, GOLD[0]]), REC, cfg).score == pytest.approx(0.2 + 0.8 * 2 / 3)  # an extra call costs
    assert score(text([GOLD[0], GOLD[0]]), REC, cfg).score == pytest.approx(0.2 + 0.8 / 2)  # each gold call once
    wrong = [ToolCall("weather", {"city": "Rome"}), ToolCall("news", {"topic": "art"})]
    assert score(text(wrong), REC, cfg).score == pytest.approx(score(text(wrong), REC, plain).score)
    single = Record("r6", "t", TOOLS, REC.messages, [GOLD[0]])
    assert score(text(GOLD), single, cfg).score == pytest.approx(0.2 + 0.8 / 2)


def test_toolrl_graded_reward():
    cfg = RewardConfig(reward="toolrl")
    assert score(text(GOLD), REC, cfg).score == pytest.approx(4.0)
    half = [ToolCall("weather", {"city": "Oslo", "days": 9})]  # one of two names, keys right, one value right
    r = score(text(half), REC, cfg)
    # name 1/2, keys 1, values 1 of S_max = 1 + 2 + 3 = 6 → 6 * 2.5 / 6 - 3 = -0.5, plus format 1
    assert r.score == pytest.approx(0.5) and r.components["name"] == pytest.approx(0.5)


def test_python_syntax_option():
    cfg = RewardConfig(syntax="python")
    assert score('<think>t</think><tool_call>[weather(city="Oslo", days=3), news(topic="ai")]</tool_call>', REC,
                 cfg).score == 1.0  # fmt: skip
    assert score(text(GOLD), REC, cfg).score == 0.0


def test_unknown_reward_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown reward 'nope'"):
        score("x", REC, RewardConfig(reward="nope"))
    with pytest.raises(ValueError, match="match must be"):
        RewardConfig(match="fuzzy")


MATH = Record("m1", "gsm8k", [], [Message("user", "2+2?")], [], meta={"gold": "4"})


def test_code_interpreter_rewards():
    good = ("<think>compute\n```python\nprint(2+2)\n```\n```output\n4\n```\n</think>\n"
            "<answer>The answer is \\boxed{4.0}</answer>")  # fmt: skip
    bad_tool = good.replace("4\n```\n</think>", "Traceback (most recent call last):\nNameError\n```\n</think>")
    assert last_boxed("a \\boxed{\\frac{1}{2}} b \\boxed{x^{2}}") == "x^{2}"
    assert score(good, MATH, RewardConfig(reward="boxed")).score == 1.0
    assert score(good.replace("4.0", "5"), MATH, RewardConfig(reward="boxed")).reason == "wrong_answer"
    assert score(good, MATH, RewardConfig(reward="think_answer_format")).score == 1.0
    assert score("\\boxed{4}", MATH, RewardConfig(reward="think_answer_format")).score == 0.0
    assert score(good, MATH, RewardConfig(reward="tool_use")).score == 1.0
    assert score(bad_tool, MATH, RewardConfig(reward="tool_use")).score == 0.0
    early = score(good, MATH, RewardConfig(reward="auto_program"), RewardContext(step=0, total_steps=10))
    late = score(good, MATH, RewardConfig(reward="auto_program"), RewardContext(step=10, total_steps=10))
    assert early.components["format_weight"] > late.components["format_weight"]
    assert early.score == pytest.approx(1.0 * 1 + 0.5 * 1 + 0.1 * 1)
    assert late.score == pytest.approx(0.25 + 1.0 + 0.1)


def test_schedule_interpolates():
    cfg = RewardConfig(schedule=[(0.0, 1.0, 0.0), (1.0, 0.0, 1.0)])
    assert schedule_weights(cfg, 0.25) == pytest.approx((0.75, 0.25))
    assert RewardContext(step=3, total_steps=12).progress == 0.25 and RewardContext().progress == 0.0


def test_trl_adapter_with_record_column_and_flat_columns():
    fn = trl_reward(RewardConfig(match="exact"))
    assert fn.__name__ == "toolcall_binary_exact"
    completions = [text(GOLD), "junk"]
    assert fn(prompts=["p", "p"], completions=completions, record=[json.dumps(REC.to_dict())] * 2) == [1.0, 0.0]
    with pytest.raises(KeyError, match="record"):
        fn(prompts=["p"], completions=["x"], other=[1])
    pytest.importorskip("datasets", reason="the flat columns come from toolcall-schema[hub]")
    ds = to_dataset([REC, REC])
    cols = {k: ds[k] for k in ds.column_names}
    conversational = [[{"role": "assistant", "content": text(GOLD)}], [{"role": "assistant", "content": "x"}]]
    assert fn(prompts=["p", "p"], completions=conversational, **cols) == [1.0, 0.0]


def test_batch_matches_single():
    texts = [text(GOLD), "junk", text([GOLD[0]])]
    assert [r.score for r in score_batch(texts, [REC] * 3)] == [score(t, REC).score for t in texts]
    assert {"binary", "fine", "penalized", "toolrl", "boxed", "auto_program"} <= set(REWARDS)


def test_cli_scores_and_summarises(tmp_path, capsys):
    write_jsonl([REC], tmp_path / "data.jsonl")
    rows = [{"id": "r1", "completion": text(GOLD)}, {"id": "r1", "completion": "junk"},
            {"id": "r1", "text": text([GOLD[0]])}]  # fmt: skip
    (tmp_path / "c.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "scores.jsonl"
    args = ["score", "--data", str(tmp_path / "data.jsonl"), "--completions", str(tmp_path / "c.jsonl"),
            "--reward", "binary", "--match", "schema", "-o", str(out), "--set", "case_insensitive=true"]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "mean reward 0.3333" in printed and "format:missing_think" in printed and "wrong_count" in printed
    scores = [json.loads(line) for line in out.read_text().splitlines()]
    assert [s["score"] for s in scores] == [1.0, 0.0, 0.0]


def test_cli_bad_input_names_the_line_and_keeps_output(tmp_path, capsys):
    write_jsonl([REC], tmp_path / "data.jsonl")
    (tmp_path / "c.jsonl").write_text('{"id": "r1", "completion": "x"}\n{"id": "r1"}\n')
    out = tmp_path / "scores.jsonl"
    out.write_text("old\n")
    base = ["score", "--data", str(tmp_path / "data.jsonl"), "--completions", str(tmp_path / "c.jsonl"), "-o", str(out)]
    assert main(base) == 1
    assert "line 2: needs string 'id' and 'completion'" in capsys.readouterr().err and out.read_text() == "old\n"
    (tmp_path / "c.jsonl").write_text('{"id": "zzz", "completion": "x"}\n')
    assert main(base) == 1 and "not in" in capsys.readouterr().err
    assert main([*base[:-2], "-o", str(out), "--set", "greedy=maybe"]) == 1
    assert "expected true or false" in capsys.readouterr().err


def test_hermes_answer_scores_by_syntax():
    """One ``<tool_call>{…}</tool_call>`` block per call (Qwen / vLLM hermes): right under hermes and auto,
    malformed under json (Tool-N1's one-list rule, the default)."""
    gold = [ToolCall("f", {"a": 1}), ToolCall("g", {"b": "x"})]
    rec = Record("h", "test", [], [Message("user", "q")], gold)
    text = "<think>two calls</think>\n" + "\n".join(
        f'<tool_call>\n{{"name": "{c.name}", "arguments": {json.dumps(c.arguments)}}}\n</tool_call>' for c in gold[::-1]
    )
    for syntax, expected in (("hermes", 1.0), ("auto", 1.0), ("json", 0.0)):
        for match in ("exact", "schema"):
            assert score(text, rec, RewardConfig(syntax=syntax, match=match)).score == expected, (syntax, match)
    assert RewardConfig().syntax == "json"


def test_bfcl_types_are_exact_python_types():
    """BFCL's checker: ``type(value)`` must be the declared type (int→float is the one widening), or the type
    of the accepted values (a variable name written as a string)."""
    from toolcall_reward.bfcl import check_call

    tool = Tool("f", "", {"type": "object", "properties": {
        "base": {"type": "integer", "x-bfcl-type": "integer"}, "w": {"type": "number", "x-bfcl-type": "float"},
        "xs": {"type": "array", "x-bfcl-type": "array", "items": {"type": "integer", "x-bfcl-type": "integer"}},
        "flag": {"type": "boolean", "x-bfcl-type": "boolean"}}, "required": []})  # fmt: skip
    gold = {"name": "f", "arguments": {"base": [10], "w": [2.0, ""], "xs": [[1, 2]], "flag": [True, ""]}}

    def valid(**args):
        return check_call(tool, ToolCall("f", {"xs": [1, 2], **args}), gold).valid

    assert valid(base=10) and valid(base=10, w=2) and valid(base=10, w=2.0)
    assert not valid(base=10.0)  # the leaderboard rejects an integral float for an integer
    assert not valid(base=True) and not valid(base="10") and not valid(base=[10])
    assert valid(base=10, xs=[1, 2]) and not valid(base=10, xs=[1.0, 2]) and not valid(base=10, xs=(1, 2))
    assert valid(base=10, flag=True) and not valid(base=10, flag=1)
    gold["arguments"]["xs"].append("")  # an omittable array: BFCL then leaves its items' types unchecked
    assert valid(base=10, xs=[1.0, 2])
    variable = {"name": "f", "arguments": {"base": ["n_items"]}}  # BFCL writes a variable's name as a string
    assert check_call(tool, ToolCall("f", {"base": "n_items"}), variable).valid


def test_correct_is_stated_by_each_reward_not_read_off_the_score():
    right, wrong = text(GOLD), text([ToolCall(GOLD[0].name, {"zz": 1})])
    for name in ("binary", "fine", "penalized", "toolrl", "tooln1", "tooln1_partial_name"):
        cfg = RewardConfig(reward=name)
        assert score(right, REC, cfg).correct and not score(wrong, REC, cfg).correct, name
    format_only = score(wrong, REC, RewardConfig(reward="fine", full_weight=0.0, format_weight=1.0))
    assert format_only.score == 1.0 and not format_only.correct  # full marks for format: still a wrong answer
    good = "<think>t</think><answer>\\boxed{4}</answer>"
    assert score(good, MATH, RewardConfig(reward="think_answer_format")).score == 1.0
    assert not score(good, MATH, RewardConfig(reward="think_answer_format")).correct


def test_rewards_without_a_context_parameter_still_register():
    from toolcall_reward import register_reward
    from toolcall_reward.rewards import RewardResult

    @register_reward("test_three_args")
    def three(text, record, cfg):
        return RewardResult(len(text), correct=True)

    seen = []

    @register_reward("test_with_context")
    def four(text, record, cfg, ctx):
        seen.append(ctx.progress)
        return RewardResult(ctx.progress)

    assert score("abc", REC, RewardConfig(reward="test_three_args")).score == 3
    assert score("x", REC, RewardConfig(reward="test_with_context"), RewardContext(5, 10)).score == 0.5
    assert seen == [0.5]
