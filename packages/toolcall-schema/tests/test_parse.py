import json

import pytest
from toolcall_schema import Diagnosis, ToolCall, format_completion, parse_output
from toolcall_schema.callsyntax import CallSyntaxError, parse_calls

F = ToolCall("f", {"a": 1})
G = ToolCall("g.h", {"b": "x"})


@pytest.mark.parametrize(
    ("text", "diagnosis", "calls", "format_ok"),
    [
        ('<think>r</think>\n<tool_call>\n[{"name": "f", "arguments": {"a": 1}}]\n</tool_call>', "ok", [F], True),
        (
            '<think>r</think><tool_call>{"name": "f", "arguments": {"a": 1}}</tool_call>\n'
            '<tool_call>{"name": "g.h", "arguments": {"b": "x"}}</tool_call>',
            "ok",
            [F, G],
            True,  # Hermes blocks: well-formed under auto (the default) and hermes, not under json
        ),
        ("<think>r</think>\nI cannot help with that.", "no_call", [], True),
        ("", "empty", [], False),
        ('<tool_call>[{"name": "f", "arguments": {"a": 1}}]</tool_call>', "missing_think", [F], False),
        ("<think>never closed <tool_call>[]</tool_call>", "unclosed_think", [], False),
        ('<think>r</think><tool_call>[{"name": "f"', "unclosed_tool_call", [], False),
        ("<think>r</think><tool_call>[{'name': 'f'}]</tool_call>", "bad_json", [], False),
        ('<think>r</think><tool_call>[{"arguments": {}}]</tool_call>', "bad_shape", [], False),
        ('<think>r</think><tool_call>[{"name": "f", "arguments": [1]}]</tool_call>', "bad_shape", [], False),
        (
            '<think>r</think>sure <tool_call>[{"name": "f", "arguments": {"a": 1}}]</tool_call>',
            "extra_text",
            [F],
            False,
        ),
        ('<think>r</think><tool_call>[f(a=1), g.h(b="x")]</tool_call>', "ok", [F, G], True),
        ('[f(a=1), g.h(b="x")]', "missing_think", [F, G], False),
        ('<think><tool_call>[{"name": "f", "arguments": {"a": 1}}]</tool_call></think>no call', "no_call", [], True),
        ('<think>r</think><tool_call>[{"name": "f", "arguments": "{\\"a\\": 1}"}]</tool_call>', "ok", [F], True),
        # Tags inside a JSON string are argument text, not block boundaries.
        (
            '<think>r</think><tool_call>[{"name": "f", "arguments": {"a": "<tool_call>"}}]</tool_call>',
            "ok",
            [ToolCall("f", {"a": "<tool_call>"})],
            True,
        ),
        (
            '<think>r</think><tool_call>[{"name": "f", "arguments": {"a": "\\"</tool_call>"}}]</tool_call>',
            "ok",
            [ToolCall("f", {"a": '"</tool_call>'})],
            True,
        ),
        ('<think>r</think><tool_call>[{"name": "f", "arguments": {"a": "</tool_call>', "bad_json", [], False),
    ],
)
def test_diagnoses(text, diagnosis, calls, format_ok):
    p = parse_output(text)
    assert p.diagnosis == Diagnosis(diagnosis), p.detail
    assert p.calls == calls
    assert p.format_ok is format_ok


HERMES = (
    '<think>r</think><tool_call>{"name": "f", "arguments": {"a": 1}}</tool_call>\n'
    '<tool_call>\n{"name": "g.h", "arguments": {"b": "x"}}\n</tool_call>'
)


def test_hermes_blocks_by_syntax():
    for syntax, format_ok in (("auto", True), ("hermes", True), ("json", False)):
        p = parse_output(HERMES, syntax=syntax)
        assert p.calls == [F, G] and p.format_ok is format_ok, syntax
    one_list = '<think>r</think><tool_call>[{"name": "f", "arguments": {"a": 1}}]</tool_call>'
    assert parse_output(one_list, syntax="hermes").diagnosis is Diagnosis.BAD_SHAPE  # a list is not Hermes
    assert parse_output(one_list, syntax="auto").format_ok and parse_output(one_list, syntax="json").format_ok
    mixed = '<think>r</think><tool_call>[{"name": "f", "arguments": {"a": 1}}]</tool_call><tool_call>[]</tool_call>'
    assert not parse_output(mixed, syntax="auto").format_ok  # several blocks are well-formed only as Hermes
    assert parse_output("<think>r</think><tool_call>{'name': 'f'}</tool_call>", syntax="hermes").diagnosis is (
        Diagnosis.BAD_JSON
    )
    assert parse_output("<think>r</think>[f(a=1)]", syntax="hermes").diagnosis is Diagnosis.NO_CALL


def test_plain_python_calls_without_think_requirement():
    p = parse_output('[f(a=1), g.h(b="x")]', require_think=False)
    assert p.diagnosis is Diagnosis.OK and p.calls == [F, G]


def test_json_only_mode_rejects_python_syntax():
    p = parse_output("<think>r</think><tool_call>[f(a=1)]</tool_call>", syntax="json")
    assert p.diagnosis is Diagnosis.BAD_JSON


def test_think_contents_and_answer_text_are_exposed():
    p = parse_output(format_completion([], think="because", text="No tool fits."))
    assert p.think == "because" and p.answer_text == "No tool fits." and p.format_ok


@pytest.mark.parametrize(
    "text",
    ["[f(1)]", "[f(**kw)]", "[f(a=g(1))]", "[f(a=x)]", "f(a=1) trailing", "[(a=1)]", "[f(a=1)", "[f(a=float('nan'))]"],
)
def test_python_call_syntax_rejects_non_literals(text):
    with pytest.raises(CallSyntaxError):
        parse_calls(text)


def test_python_call_syntax_values():
    (c,) = parse_calls("[Tool Name.v2(a=-1.5, b=[1, (2, 3)], c={'k': None}, d=true, e=False, f='''x''')]")
    assert c.name == "Tool Name.v2"
    assert c.arguments == {"a": -1.5, "b": [1, [2, 3]], "c": {"k": None}, "d": True, "e": False, "f": "x"}


def test_never_evaluates_code(tmp_path):
    marker = tmp_path / "pwned"
    text = f"[f(a=__import__('pathlib').Path({str(marker)!r}).touch())]"
    assert parse_output(text, require_think=False).calls == []
    assert not marker.exists()


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        "<think>" * 50_000,
        "[f(a=" + "[" * 5000 + "]" * 5000 + ")]",
        json.dumps([[[[[]]]]] * 1000),
        "\x00\ud800<tool_call>\udfff</tool_call>",
    ],
)
def test_pathological_text_never_raises(text):
    parse_output(text)
    parse_output(f"<think></think><tool_call>{text}</tool_call>")


def test_strict_mode_rejects_missing_think_before_reading_calls():
    text = '<tool_call>[{"name": "f", "arguments": {"a": 1}}]</tool_call>'
    assert parse_output(text).calls == [F]
    p = parse_output(text, strict=True)
    assert p.diagnosis is Diagnosis.MISSING_THINK and p.calls == [] and not p.format_ok
    ok = parse_output("<think>r</think>" + text, strict=True)
    assert ok.diagnosis is Diagnosis.OK and ok.calls == [F]
