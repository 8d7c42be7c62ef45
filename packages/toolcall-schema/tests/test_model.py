import json

import pytest
from toolcall_schema import Message, Record, RecordError, Tool, ToolCall, record_errors, record_schema, validate_record


def make_record(**over):
    tool = Tool(
        "get_weather", "Weather.", {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    )
    base = dict(
        id="r1",
        source="test",
        tools=[tool],
        messages=[Message("user", "Paris?")],
        answer=[ToolCall("get_weather", {"city": "Paris"})],
    )
    base.update(over)
    return Record(**base)


def test_round_trip_through_json_keeps_every_field():
    r = make_record(
        alternatives=[{"name": "get_weather", "arguments": {"city": ["Paris", "paris"]}}],
        answer_alternatives=[[ToolCall("get_weather", {"city": "paris"})]],
        meta={"category": "x"},
        messages=[
            Message("system", "be brief"),
            Message("user", "hi"),
            Message("assistant", "", [ToolCall("get_weather", {"city": "Rome"})]),
            Message("tool", "sunny", name="get_weather"),
            Message("user", "Paris?"),
        ],
    )
    d = json.loads(json.dumps(r.to_dict()))
    assert record_errors(d) == []
    assert Record.from_dict(d) == r


def test_schema_file_is_a_valid_draft_2020_12_schema():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(record_schema())


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("answer"), "<root>"),
        (lambda d: d["messages"].__setitem__(0, {"role": "robot", "content": "x"}), "messages/0/role"),
        (lambda d: d["tools"][0]["parameters"].__setitem__("type", "array"), "tools/0/parameters/type"),
        (lambda d: d["answer"][0].__setitem__("arguments", "city=Paris"), "answer/0/arguments"),
        (lambda d: d["messages"][0].__setitem__("tool_calls", [{"name": "f", "arguments": {}}]), "messages/0/role"),
        (lambda d: d.__setitem__("id", ""), "id"),
    ],
)
def test_invalid_records_name_the_field(mutate, field):
    d = make_record().to_dict()
    mutate(d)
    with pytest.raises(RecordError) as e:
        validate_record(d, index=7)
    assert e.value.field == field
    assert "record #7" in str(e.value)


def test_duplicate_tool_names_are_rejected():
    r = make_record()
    r.tools.append(Tool("get_weather"))
    errs = record_errors(r.to_dict())
    assert errs and "duplicate tool names" in errs[0]


def test_empty_answer_means_no_call_and_is_valid():
    assert validate_record(make_record(answer=[]))["answer"] == []
