"""Hypothesis properties of the rewards: order invariance, reflexivity, leaf changes, schema equivalences,
robustness to arbitrary text and JSON, and symmetry where the semantics are symmetric."""

from __future__ import annotations

import copy
import json
import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from toolcall_reward import REWARDS, RewardConfig, score
from toolcall_schema import Message, Record, Tool, ToolCall, format_completion

MODES = ["exact", "schema", "bfcl"]
ident = st.text(string.ascii_lowercase, min_size=1, max_size=6)
words = st.text(string.ascii_letters + string.digits, min_size=1, max_size=8)
strings = st.lists(words, min_size=1, max_size=3).map(" ".join)
ints = st.integers(-1000, 1000)
floats = st.floats(-1e6, 1e6, allow_nan=False).filter(lambda f: not float(f).is_integer())


def typed_value():
    """(value, JSON Schema) pairs in the shapes tool calls carry (BFCL-checkable: arrays have items)."""
    scalar = st.one_of(
        strings.map(lambda v: (v, {"type": "string"})),
        ints.map(lambda v: (v, {"type": "integer"})),
        floats.map(lambda v: (v, {"type": "number"})),
        st.booleans().map(lambda v: (v, {"type": "boolean"})),
    )
    arrays = st.one_of(
        st.lists(strings, min_size=1, max_size=3).map(lambda v: (v, {"type": "array", "items": {"type": "string"}})),
        st.lists(ints, min_size=1, max_size=3).map(lambda v: (v, {"type": "array", "items": {"type": "integer"}})),
    )
    obj = st.dictionaries(ident, st.one_of(strings, ints), min_size=1, max_size=3).map(
        lambda d: (
            d,
            {
                "type": "object",
                "properties": {k: {"type": "string" if isinstance(x, str) else "integer"} for k, x in d.items()},
            },
        )  # fmt: skip
    )
    return st.one_of(scalar, arrays, obj)


@st.composite
def records(draw, min_calls=1, max_calls=3):
    n_tools = draw(st.integers(1, 3))
    names = draw(st.lists(ident, min_size=n_tools, max_size=n_tools, unique=True))
    tools, calls = [], []
    for name in names:
        typed = draw(st.dictionaries(ident, typed_value(), min_size=1, max_size=4))
        props = {k: s for k, (_, s) in typed.items()}
        tools.append(Tool(name, f"tool {name}", {"type": "object", "properties": props, "required": list(props)}))
        calls.append(ToolCall(name, {k: v for k, (v, _) in typed.items()}))
    k = draw(st.integers(min_calls, min(max_calls, len(calls))))
    return Record("r", "hyp", tools, [Message("user", "do it")], calls[:k])


def completion(calls):
    return format_completion(calls, think="reasoning")


@settings(max_examples=60)
@given(records(), st.randoms(use_true_random=False), st.sampled_from(MODES))
def test_invariant_under_permutation_of_calls_and_argument_keys(record, rnd, mode):
    calls = [ToolCall(c.name, dict(rnd.sample(list(c.arguments.items()), len(c.arguments)))) for c in record.answer]
    rnd.shuffle(calls)
    cfg = RewardConfig(match=mode)
    assert score(completion(calls), record, cfg).score == score(completion(record.answer), record, cfg).score == 1.0


@settings(max_examples=60)
@given(records(), st.sampled_from(MODES), st.sampled_from(["binary", "fine", "penalized", "toolrl"]))
def test_gold_gets_full_reward_in_every_mode(record, mode, reward):
    result = score(completion(record.answer), record, RewardConfig(match=mode, reward=reward))
    assert result.score == {"binary": 1.0, "fine": 1.0, "penalized": 1.0, "toolrl": 4.0}[reward], result


def _leaves(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))
    else:
        yield path, value


def _different(v):
    """A value no mode treats as equivalent to ``v`` (BFCL ignores case, spaces and ,./-_*^ in strings)."""
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return v + 7
    if isinstance(v, float):
        return v + 1.5
    return v + "q9"


@settings(max_examples=80)
@given(records(), st.data(), st.sampled_from(MODES))
def test_any_single_leaf_change_scores_zero(record, data, mode):
    idx = data.draw(st.integers(0, len(record.answer) - 1))
    args = copy.deepcopy(record.answer[idx].arguments)
    path, value = data.draw(st.sampled_from(list(_leaves(args))))
    node = args
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = _different(value)
    calls = [ToolCall(c.name, args if i == idx else c.arguments) for i, c in enumerate(record.answer)]
    assert score(completion(calls), record, RewardConfig(match=mode)).score == 0.0


def _one_call_record(param_schema, gold_value, required=True):
    tool = Tool("f", "", {"type": "object", "properties": {"p": param_schema, "q": {"type": "string"}},
                          "required": ["q", "p"] if required else ["q"]})  # fmt: skip
    return Record("e", "hyp", [tool], [Message("user", "x")], [ToolCall("f", {"q": "k", "p": gold_value})])


@pytest.mark.parametrize(
    ("schema", "gold", "variant", "options"),
    [
        ({"type": "integer"}, 5, 5.0, {}),
        ({"type": "number"}, 2, 2.0, {}),
        ({"type": "string"}, "New York", "  New   York ", {}),
        ({"type": "string"}, "New York", "new york", {"case_insensitive": True}),
        ({"type": "string", "enum": ["ASC", "DESC"]}, "ASC", "asc", {"case_insensitive": True}),
        ({"type": "integer"}, 5, "5", {"numeric_strings": True}),
        ({"type": "array", "uniqueItems": True, "items": {"type": "string"}}, ["a", "b"], ["b", "a"], {}),
        ({"type": "object", "properties": {"x": {"type": "number"}}}, {"x": 1}, {"x": 1.0}, {}),
    ],
)
def test_schema_equivalences_score_one_in_schema_and_zero_in_exact(schema, gold, variant, options):
    record = _one_call_record(schema, gold)
    text = completion([ToolCall("f", {"q": "k", "p": variant})])
    assert score(text, record, RewardConfig(match="schema", **options)).score == 1.0
    assert score(text, record, RewardConfig(match="exact", **options)).score == 0.0


@given(st.one_of(strings, ints, st.booleans()))
def test_omitted_optional_argument_equals_its_default(default):
    record = _one_call_record({"type": "string", "default": default}, default, required=False)
    text = completion([ToolCall("f", {"q": "k"})])
    assert score(text, record, RewardConfig(match="schema")).score == 1.0
    assert score(text, record, RewardConfig(match="exact")).score == 0.0
    assert score(text, record, RewardConfig(match="schema", defaults=False)).score == 0.0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids, max_size=3),
    max_leaves=10,
)


in_tool_call = json_values.map(lambda v: f"<think>x</think><tool_call>{json.dumps(v)}</tool_call>")


@settings(max_examples=150)
@given(records(), st.text(max_size=200) | in_tool_call, st.sampled_from(sorted(REWARDS)), st.sampled_from(MODES))
def test_arbitrary_text_and_json_never_raise(record, text, reward, mode):
    result = score(text, record, RewardConfig(reward=reward, match=mode))
    assert isinstance(result.score, float)


@settings(max_examples=60)
@given(records(min_calls=1), st.data(), st.sampled_from(["exact", "schema"]))
def test_score_is_symmetric_in_exact_and_schema(record, data, mode):
    other_args = data.draw(st.dictionaries(st.sampled_from(sorted(record.answer[0].arguments)), ints, max_size=2))
    b = [ToolCall(record.answer[0].name, {**record.answer[0].arguments, **other_args}), *record.answer[1:]]
    a = record.answer
    rec_a, rec_b = record, Record(record.id, record.source, record.tools, record.messages, b)
    cfg = RewardConfig(match=mode)
    assert score(completion(a), rec_b, cfg).score == score(completion(b), rec_a, cfg).score


@given(records(), st.sampled_from(MODES))
def test_a_wrong_number_of_calls_never_matches(record, mode):
    assume(record.answer)
    cfg = RewardConfig(match=mode)
    assert score(completion(record.answer + record.answer[:1]), record, cfg).score == 0.0
    assert score(completion(record.answer[:-1]), record, cfg).score == 0.0
