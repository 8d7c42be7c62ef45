"""Hypothesis round-trips: Record → JSON → Record; calls → Python syntax / <tool_call> JSON → calls."""

import json
import keyword
import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from toolcall_schema import Message, Record, Tool, ToolCall, format_calls, parse_calls, parse_output, record_errors
from toolcall_schema.parse import format_tool_call

identifiers = st.text(string.ascii_letters + "_", min_size=1, max_size=8).filter(
    lambda s: not keyword.iskeyword(s) and s not in ("true", "false", "null", "none", "True", "False", "None")
)
tool_names = st.builds(
    lambda a, b, sep: a + (sep + b if b else ""),
    identifiers,
    st.one_of(st.none(), identifiers),
    st.sampled_from([".", " ", "_", "-"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=12,
)
calls = st.builds(ToolCall, tool_names, st.dictionaries(identifiers, json_values, max_size=4))
call_lists = st.lists(calls, max_size=4)
schemas = st.fixed_dictionaries(
    {"type": st.just("object"), "properties": st.dictionaries(identifiers, st.just({"type": "string"}), max_size=3)}
)
tools = st.builds(Tool, tool_names, st.text(max_size=20), schemas)
messages = st.builds(Message, st.sampled_from(["system", "user", "tool"]), st.text(max_size=30)) | st.builds(
    Message, st.just("assistant"), st.text(max_size=30), call_lists
)
records = st.builds(
    Record,
    st.text(min_size=1, max_size=10),
    st.text(min_size=1, max_size=10),
    st.lists(tools, max_size=3, unique_by=lambda t: t.name),
    st.lists(messages, min_size=1, max_size=4),
    call_lists,
    st.one_of(
        st.none(),
        st.lists(
            st.fixed_dictionaries(
                {
                    "name": tool_names,
                    "arguments": st.dictionaries(identifiers, st.lists(json_values, max_size=3), max_size=3),
                }
            ),
            max_size=2,
        ),
    ),
    st.one_of(st.none(), st.lists(call_lists, max_size=2)),
    st.dictionaries(st.text(max_size=5), json_values, max_size=2),
)


def _same(a, b) -> bool:
    """Equality that tells 1 from 1.0 and True from 1 (Python's == does not)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@given(records)
def test_record_json_record(r):
    d = json.loads(json.dumps(r.to_dict()))
    assert record_errors(d) == []
    back = Record.from_dict(d)
    assert back == r and _same(back.to_dict(), r.to_dict())


@given(call_lists)
def test_calls_python_syntax_calls(cs):
    back = parse_calls(format_calls(cs))
    assert [c.to_dict() for c in back] == [c.to_dict() for c in cs]
    assert _same([c.to_dict() for c in back], [c.to_dict() for c in cs])


@given(call_lists.filter(bool), st.text(max_size=40).filter(lambda t: "</think>" not in t))
@example([ToolCall("A", {"A": "<tool_call>"})], "")  # found by CI: a tag inside an argument string
@example([ToolCall("A", {"A": "</tool_call>"}), ToolCall("B", {"b": "<tool_call>"})], "")
def test_calls_tool_call_json_calls(cs, think):
    text = f"<think>{think}</think>\n{format_tool_call(cs)}"
    p = parse_output(text)
    assert p.format_ok and _same([c.to_dict() for c in p.calls], [c.to_dict() for c in cs])


@settings(max_examples=300)
@given(
    st.text(max_size=300)
    | st.builds(
        lambda a, b: f"<think>{a}</think><tool_call>{b}</tool_call>", st.text(max_size=50), st.text(max_size=200)
    )
)
def test_fuzzed_text_never_raises(text):
    p = parse_output(text)
    assert isinstance(p.calls, list)
    parse_output(text, require_think=False, syntax="python")


@given(json_values)
def test_arbitrary_json_in_a_tool_call_block_never_raises(value):
    p = parse_output(f"<think></think><tool_call>{json.dumps(value)}</tool_call>")
    assert p.diagnosis.value in {"ok", "bad_shape", "bad_json"}


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


@given(records, st.data())
def test_fast_and_reference_validators_agree_on_mutated_records(r, data):
    from toolcall_schema.validate import _fast_is_valid, _validator

    d = json.loads(json.dumps(r.to_dict()))
    paths = [p for p in _paths(d) if p]
    path = data.draw(st.sampled_from(paths))
    parent = d
    for k in path[:-1]:
        parent = parent[k]
    parent[path[-1]] = data.draw(json_values)
    assert _fast_is_valid()(d) == _validator().is_valid(d)
    if not _validator().is_valid(d):
        assert record_errors(d), "an invalid record must come with an explanation"


@settings(max_examples=400)
@given(
    st.one_of(
        st.text(max_size=40),
        json_values.map(json.dumps),
        st.builds(lambda a, b: a + b, json_values.map(json.dumps), st.sampled_from(["", " ", "]", "NaN", ","])),
        st.sampled_from(["NaN", "[Infinity, -Infinity]", "1e400", "12345678901234567890123", '"\\ud800"', "[1,]"]),
        st.integers().map(str),
    )
)
def test_fast_json_matches_the_standard_library(text):
    from toolcall_schema.fastjson import loads

    try:
        expected = json.loads(text)
    except ValueError:
        with pytest.raises(ValueError):
            loads(text)
        return
    got = loads(text)
    assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)  # integers past 64 bits too


@given(json_values, json_values)
def test_dumps_sorted_equal_exactly_when_the_standard_library_says_so(a, b):
    from toolcall_schema.fastjson import dumps_sorted

    same = json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert (dumps_sorted(a) == dumps_sorted(b)) is same
    assert dumps_sorted(a) == dumps_sorted(json.loads(json.dumps(a)))


def test_dumps_sorted_keeps_nan_apart_from_null_and_wide_integers_exact():
    from toolcall_schema.fastjson import dumps_sorted

    assert dumps_sorted([float("nan")]) != dumps_sorted([None])
    assert dumps_sorted({"a": float("inf")}) != dumps_sorted({"a": None})
    assert dumps_sorted(2**64) != dumps_sorted(float(2**64)) and dumps_sorted(2**70) == dumps_sorted(2**70)
