import pytest
from toolcall_schema import Message, Record, Tool, ToolCall, validate_record
from toolcall_schema.augment import add_irrelevance, dedupe, drop_unknown_tools, irrelevance, mask

TOOLS = [
    Tool(
        "weather",
        "W.",
        {
            "type": "object",
            "properties": {"city": {"type": "string"}, "units": {"type": "string", "default": "metric"}},
            "required": ["city"],
        },
    ),
    Tool("news", "N.", {"type": "object", "properties": {"topic": {"type": "string"}}}),
]
REC = Record(
    "a",
    "t",
    TOOLS,
    [
        Message("user", "x"),
        Message("assistant", "", [ToolCall("news", {"topic": "ai"})]),
        Message("tool", "ok", name="news"),
        Message("user", "weather?"),
    ],
    [ToolCall("weather", {"city": "Oslo", "units": "metric"})],
    alternatives=[{"name": "weather", "arguments": {"city": ["Oslo"], "units": ["metric", ""]}}],
)


def test_mask_renames_consistently_everywhere():
    m = mask(REC, seed=1)
    validate_record(m)
    new = {t.name for t in m.tools}
    assert not new & {"weather", "news"}
    (w,) = [t for t in m.tools if t.description == "W."]
    assert m.answer[0].name == w.name and m.alternatives[0]["name"] == w.name
    assert set(m.answer[0].arguments) == set(w.parameters["properties"]) == set(m.alternatives[0]["arguments"])
    assert set(w.parameters["required"]) <= set(w.parameters["properties"])
    assert list(m.answer[0].arguments.values()) == ["Oslo", "metric"]
    units = [k for k, v in w.parameters["properties"].items() if "default" in v]
    assert w.parameters["properties"][units[0]]["default"] != "metric"
    (n,) = [t for t in m.tools if t.description == "N."]
    assert m.messages[1].tool_calls[0].name == n.name and m.messages[2].name == n.name
    assert mask(REC, seed=1) == m and mask(REC, seed=2) != m
    assert REC.tools[0].parameters["properties"]["units"]["default"] == "metric"  # original untouched


def test_mask_with_a_tool_rate_renames_some_tools_and_keeps_the_rest_whole():
    seen = set()
    for seed in range(40):
        m = mask(REC, seed=seed, tool_rate=0.5)
        validate_record(m)
        kept = [t for t in m.tools if t.name in {"weather", "news"}]
        assert len(kept) < 2  # at least one tool is renamed
        assert all(t in TOOLS for t in kept)  # an unmasked tool keeps its parameters and defaults
        by_desc = {t.description: t.name for t in m.tools}
        assert m.answer[0].name == by_desc["W."] == m.alternatives[0]["name"]
        assert m.messages[1].tool_calls[0].name == by_desc["N."] == m.messages[2].name
        if by_desc["W."] == "weather":
            assert m.answer[0] == REC.answer[0]
        seen.add(tuple(sorted(t.name for t in kept)))
    assert seen == {(), ("news",), ("weather",)}
    for bad in (0.0, 1.5):
        with pytest.raises(ValueError, match="tool_rate"):
            mask(REC, tool_rate=bad)


def test_irrelevance_removes_gold_tools():
    r = irrelevance(REC)
    assert r.answer == [] and [t.name for t in r.tools] == ["news"] and r.meta["origin"] == "a"
    assert irrelevance(Record("b", "t", TOOLS[:1], REC.messages, REC.answer)) is None
    out = list(add_irrelevance([REC] * 10, rate=0.5, seed=0))
    assert 10 < len(out) < 20


def test_dedupe_and_drop_unknown():
    other = Record("b", "other", TOOLS, REC.messages, REC.answer)
    assert [r.id for r in dedupe([REC, other])] == ["a"]
    bad = Record("c", "t", TOOLS, REC.messages, [ToolCall("missing")])
    dropped = []
    assert [r.id for r in drop_unknown_tools([REC, bad], dropped)] == ["a"] and dropped == ["c"]
