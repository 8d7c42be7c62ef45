import csv
import json

import pytest
from toolcall_schema import ConversionReport, RecordError, convert_file, convert_items, validate_record
from toolcall_schema.converters.apibank import apibank_tool, parse_request

XLAM_ROW = {
    "id": 7,
    "query": "Convert 250 USD to EUR and find 3 airports near Lyon.",
    "answers": json.dumps(
        [
            {"name": "convert", "arguments": {"amount": 250, "target": "EUR"}},
            {"name": "airports", "arguments": {"city": "Lyon", "limit": 3}},
        ]
    ),
    "tools": json.dumps(
        [
            {
                "name": "convert",
                "description": "Convert money.",
                "parameters": {
                    "amount": {"description": "Amount.", "type": "float", "default": 1.0},
                    "target": {"description": "Target.", "type": "str"},
                },
            },
            {
                "name": "airports",
                "description": "Airports.",
                "parameters": {
                    "city": {"description": "City.", "type": "str"},
                    "limit": {"description": "How many.", "type": "int, optional", "default": 5},
                    "kinds": {"description": "Kinds.", "type": "List[str]"},
                },
            },
        ]
    ),
}


def one(fmt, raw):
    return list(convert_items(fmt, [raw], strict=True))


def test_xlam_types_defaults_and_required():
    (r,) = one("xlam", XLAM_ROW)
    assert r.id == "xlam-7" and r.messages[0].role == "user"
    conv, air = r.tools
    assert conv.parameters["properties"]["amount"] == {"type": "number", "description": "Amount.", "default": 1.0}
    assert conv.parameters["required"] == ["amount", "target"]
    assert air.parameters["required"] == ["city", "kinds"]  # "int, optional" is not required
    assert air.parameters["properties"]["kinds"]["items"] == {"type": "string"}
    assert [c.name for c in r.answer] == ["convert", "airports"]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("tools"), "tools"),
        (lambda d: d.__setitem__("answers", "[{not json"), "answers"),
        (lambda d: d.__setitem__("answers", json.dumps([{"name": "nope", "arguments": {}}])), "answer"),
        (lambda d: d.__setitem__("answers", json.dumps(["convert"])), "answers"),
    ],
)
def test_xlam_bad_rows_name_index_id_and_field(mutate, field):
    bad = dict(XLAM_ROW)
    mutate(bad)
    with pytest.raises(RecordError) as e:
        list(convert_items("xlam", [XLAM_ROW, bad], strict=True, source="x.json"))
    assert e.value.index == 1 and e.value.field == field
    assert "record #1" in str(e.value) and "x.json" in str(e.value)
    report = ConversionReport()
    kept = list(convert_items("xlam", [XLAM_ROW, bad, XLAM_ROW], report=report))
    assert len(kept) == 2 and report.skipped[0].index == 1 and report.skipped[0].field == field


TOOLACE_ROW = {
    "system": "Intro text.\nHere is a list of functions in JSON format that you can invoke:\n"
    '[{"name": "Market Trends API", "description": "Trends.", "parameters": {"type": "dict", '
    '"properties": {"trend_type": {"type": "string"}, "n": {"type": "integer"}}, "required": ["trend_type"]}},'
    ' {"name": "stock.quote", "description": "Quote.", "parameters": {"type": "dict", "properties": '
    '{"symbol": {"type": "string"}}, "required": ["symbol"]}}]\nShould you decide...[func1(a=b)]',
    "conversations": [
        {"from": "user", "value": "Market trends please"},
        {"from": "assistant", "value": '[Market Trends API(trend_type="MARKET_INDEXES", n=3)]'},
        {"from": "tool", "value": '[{"name": "Market Trends API", "results": {}}]'},
        {"from": "assistant", "value": "Here they are."},
        {"from": "user", "value": "And AAPL?"},
        {"from": "assistant", "value": '[stock.quote(symbol="AAPL"), Market Trends API(trend_type="GAINERS")]'},
    ],
}


def test_toolace_one_record_per_call_turn_with_history():
    first, second = one("toolace", TOOLACE_ROW)
    assert [m.role for m in first.messages] == ["user"]
    assert first.answer[0].name == "Market Trends API" and first.answer[0].arguments == {
        "trend_type": "MARKET_INDEXES",
        "n": 3,
    }
    assert [m.role for m in second.messages] == ["user", "assistant", "tool", "assistant", "user"]
    assert second.messages[1].tool_calls == first.answer
    assert [c.name for c in second.answer] == ["stock.quote", "Market Trends API"]
    assert first.tools[0].parameters["type"] == "object"


def test_toolace_without_tool_list_is_reported():
    with pytest.raises(RecordError, match="no JSON tool list") as e:
        one("toolace", {**TOOLACE_ROW, "system": "no tools here"})
    assert e.value.field == "system"


OPENAI_ROW = {
    "tools": [
        {
            "type": "function",
            "function": {"name": "f", "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}}},
        }
    ],
    "messages": [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "call f"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "a", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}],
        },
        {"role": "tool", "content": "2", "name": "f"},
        {"role": "user", "content": "again with 5"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": "b", "type": "function", "function": {"name": "f", "arguments": '{"x": 5}'}}],
        },
    ],
}


def test_openai_last_assistant_turn_is_the_answer():
    (r,) = one("openai", OPENAI_ROW)
    assert r.answer[0].arguments == {"x": 5}
    assert r.messages[2].tool_calls[0].arguments == {"x": 1} and r.messages[-1].content == "again with 5"


def test_hermes_blocks_in_assistant_text():
    row = json.loads(json.dumps(OPENAI_ROW))
    for m in row["messages"]:
        if m.get("tool_calls"):
            args = m.pop("tool_calls")[0]["function"]["arguments"]
            m["content"] = f'<tool_call>\n{{"name": "f", "arguments": {args}}}\n</tool_call>'
    (r,) = one("hermes", row)
    assert r.answer[0].arguments == {"x": 5} and r.messages[2].tool_calls[0].arguments == {"x": 1}
    row["messages"][-1]["content"] = "<tool_call>{broken</tool_call>"
    with pytest.raises(RecordError, match="bad_json"):
        one("hermes", row)


def test_apibank_nested_quotes_read_as_apibank_does():
    calls, lenient = parse_request("API-Request: [AddMeeting(token='t1', attendees='['John Smith', 'Jane Doe']', n=3)]")
    assert lenient and calls[0].arguments == {"token": "t1", "attendees": "['John Smith', 'Jane Doe']", "n": 3}
    calls, lenient = parse_request("API-Request: [GetToday()]")
    assert not lenient and calls[0].name == "GetToday" and calls[0].arguments == {}


def test_apibank_list_type_spelling():
    t = apibank_tool({"name": "A", "input_parameters": {"xs": {"type": "list(str)", "description": "d"}}})
    assert t.parameters["properties"]["xs"] == {"type": "array", "items": {"type": "string"}, "description": "d"}


def test_apibank_level1_test_set_keeps_at_least_390_and_every_record_validates(shared_data):
    report = ConversionReport()
    records = list(convert_file("apibank", shared_data / "api-bank/test-data/level-1-api.json", report=report))
    assert report.items == 399 and len(records) >= 390
    for r in records:
        validate_record(r)
    summary = report.summary()
    for s in report.skipped:
        assert s.reason in summary
    lenient = [r for r in records if r.meta.get("lenient_parse")]
    assert lenient and all(isinstance(v, str) for r in lenient for v in r.answer[0].arguments.values())
    # dialogue API calls become assistant tool calls followed by their tool result
    with_history = [r for r in records if any(m.role == "tool" for m in r.messages)]
    assert with_history and all(
        r.messages[r.messages.index(next(m for m in r.messages if m.role == "tool")) - 1].tool_calls
        for r in with_history
    )


def test_acebench_normal_and_special_categories(shared_data):
    base = shared_data / "acebench/data_en"
    report = ConversionReport()
    recs = {r.id: r for f in sorted(base.glob("data_*.json")) for r in convert_file("acebench", f, report=report)}
    assert all(s.reason.startswith("agent categories") for s in report.skipped)
    assert len(report.skipped) == 50 and len(recs) == 1023 - 50
    par = recs["normal_single_turn_parallel_function_2"]
    assert {c.name for c in par.answer} == {"market_insight_predict_trends"} and len(par.answer) == 4
    assert recs["normal_atom_bool_11"].answer_alternatives and len(recs["normal_atom_bool_11"].answer_alternatives) == 1
    assert recs["special_irrelevant_0"].answer == [] and recs["special_incomplete_0"].meta["expected_feedback"]
    pref = recs["normal_preference_0"]
    assert pref.messages[0].role == "system" and "User profile" in pref.messages[0].content


def test_apibank_level2_tools_from_tool_searcher_results_and_the_api_list(tmp_path):
    searcher = {"name": "ToolSearcher", "description": "search", "input_parameters": {"keywords": {"type": "str"}}}
    found = {"name": "BookHotel", "description": "book", "input_parameters": {"name": {"type": "str"}}}
    dialogue = f"User: book it\nAPI-Request: [ToolSearcher(keywords='hotel')]->{found!r}\nGenerate API Request:\n"
    item = {
        "file": "BookHotel-level-3-1.jsonl",
        "id": 2,
        "instruction": "API descriptions:\n" + json.dumps(searcher),
        "input": dialogue,
        "expected_output": "API-Request: [BookHotel(name='Hilton')]",
    }
    undescribed = {**item, "id": 3, "expected_output": "API-Request: [GetUserToken(username='a', password='b')]"}
    (tmp_path / "test-data").mkdir()
    (tmp_path / "test-data" / "level-2-api.json").write_text(json.dumps([item, undescribed]))
    report = ConversionReport()
    (r,) = convert_file("apibank", tmp_path / "test-data" / "level-2-api.json", report=report)
    assert r.tool_names == {"ToolSearcher", "BookHotel"} and "quirks" not in r.meta
    assert [s.record_id for s in report.skipped] == ["apibank-BookHotel-level-3-1.jsonl-3"]
    assert "GetUserToken" in report.skipped[0].reason
    # with API-Bank's API list beside test-data/, the undescribed tool comes from there and is flagged
    (tmp_path / "data").mkdir()
    info = (
        "description = 'Get the token.'\ninput_parameters = {'username': {'type': 'str'}, 'password': {'type': 'str'}}"
    )
    with open(tmp_path / "data" / "all_apis.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["类名", "api_info"], ["GetUserToken", info], ["Broken", "description = ("]])
    records = list(convert_file("apibank", tmp_path / "test-data" / "level-2-api.json"))
    assert len(records) == 2 and records[1].tool("GetUserToken").description == "Get the token."
    assert records[1].meta["quirks"] and set(records[1].tool("GetUserToken").parameters["required"]) == {
        "username",
        "password",
    }


def test_a_line_that_is_not_json_is_one_skipped_item(tmp_path):
    path = tmp_path / "x.jsonl"
    row = {"query": "q", "tools": "[]", "answers": "[]", "id": 1}
    path.write_text(json.dumps(row) + "\n{oops\n" + json.dumps({**row, "id": 2}) + "\n")
    report = ConversionReport()
    assert [r.id for r in convert_file("xlam", path, report=report)] == ["xlam-1", "xlam-2"]
    assert len(report.skipped) == 1 and report.skipped[0].reason.startswith("line 2 is not valid JSON")
    with pytest.raises(RecordError, match="line 2 is not valid JSON"):
        list(convert_file("xlam", path, strict=True))


def test_acebench_tool_listed_twice(tmp_path):
    tool = {"name": "f", "description": "d", "parameters": {"type": "dict", "properties": {"a": {"type": "string"}}}}
    changed = {**tool, "description": "other"}
    rows = [
        {"id": "normal_atom_enum_0", "question": "user: q", "function": [tool, tool]},
        {"id": "normal_atom_enum_1", "question": "user: q", "function": [tool, changed]},
        {
            "id": "normal_atom_enum_2",
            "question": "user: q",
            "function": [{**tool, "parameters": None, "arguments": tool["parameters"]}],
        },
    ]
    (tmp_path / "possible_answer").mkdir()
    (tmp_path / "data_normal_atom_enum.json").write_text("".join(json.dumps(r) + "\n" for r in rows))
    answers = "".join(json.dumps({"id": r["id"], "ground_truth": {"f": {"a": "x"}}}) + "\n" for r in rows)
    (tmp_path / "possible_answer" / "data_normal_atom_enum.json").write_text(answers)
    report = ConversionReport()
    recs = list(convert_file("acebench", tmp_path / "data_normal_atom_enum.json", report=report))
    assert [r.id for r in recs] == ["normal_atom_enum_0", "normal_atom_enum_2"] and len(recs[0].tools) == 1
    assert "a" in recs[1].tools[0].parameters["properties"]  # the schema under "arguments" is read too
    assert [s.record_id for s in report.skipped] == ["normal_atom_enum_1"] and "conflicting" in report.skipped[0].reason
    with pytest.raises(RecordError, match="conflicting definitions of tool 'f'"):
        list(convert_file("acebench", tmp_path / "data_normal_atom_enum.json", strict=True))
