import json

import pytest
from toolcall_schema import Message, Record, Tool, ToolCall, build_messages, parse_output, render_prompt, sft_target
from toolcall_schema.prompt import template_supports_tools

transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CHATML_TOOLS = (
    "{% if tools %}<|im_start|>tools\n{% for t in tools %}{{ t | tojson }}\n{% endfor %}<|im_end|>\n{% endif %}"
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}"
    "{% if m.tool_calls %}{% for c in m.tool_calls %}<call>{{ c.function.name }}"
    "{{ c.function.arguments | tojson }}</call>{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def tokenizer(template: str):
    """A real HF fast tokenizer built locally (no hub), carrying the given chat template."""
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel({"[UNK]": 0, "<|im_end|>": 1}, unk_token="[UNK]"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", eos_token="<|im_end|>")
    fast.chat_template = template
    return fast


RECORD = Record(
    "p1",
    "test",
    [Tool("get_weather", "Weather.", {"type": "object", "properties": {"city": {"type": "string"}}})],
    [
        Message("system", "Current time: 2024-01-01"),
        Message("user", "Weather in Rome?"),
        Message("assistant", "", [ToolCall("get_weather", {"city": "Rome"})]),
        Message("tool", "sunny", name="get_weather"),
        Message("user", "And Paris?"),
    ],
    [ToolCall("get_weather", {"city": "Paris"})],
)


def test_plain_chatml_embeds_tools_in_the_system_text():
    tok = tokenizer(CHATML)
    assert not template_supports_tools(tok)
    text = render_prompt(RECORD, tok)
    system = text.split("<|im_end|>")[0]
    assert "<think>" in system and "<tool_call>" in system and '"get_weather"' in system
    assert "Current time: 2024-01-01" in system  # the record's own system text is kept
    assert text.endswith("<|im_start|>assistant\n")
    # the earlier call is shown in the same contract the model must follow
    prior = text.split("<|im_start|>assistant\n")[1]
    assert parse_output(prior.split("<|im_end|>")[0], require_think=False).calls == RECORD.messages[2].tool_calls
    assert text.count("<|im_start|>") == 6


def test_tool_aware_template_gets_tools_argument():
    tok = tokenizer(CHATML_TOOLS)
    assert template_supports_tools(tok)
    text = render_prompt(RECORD, tok)
    assert (
        text.startswith("<|im_start|>tools\n") and json.loads(text.split("\n")[1])["function"]["name"] == "get_weather"
    )
    assert "Available tools" not in text
    assert '<call>get_weather{"city": "Rome"}</call>' in text


def test_forced_system_placement_with_tool_template():
    text = render_prompt(RECORD, tokenizer(CHATML_TOOLS), tools="system")
    assert "Available tools" in text and not text.startswith("<|im_start|>tools")


def test_build_messages_and_sft_target():
    msgs = build_messages(RECORD)
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "tool", "user"]
    target = sft_target(RECORD, think="Paris.")
    p = parse_output(target)
    assert p.format_ok and p.calls == RECORD.answer
    no_call = Record("p2", "t", RECORD.tools, RECORD.messages, [])
    assert parse_output(sft_target(no_call)).calls == []


def test_worked_examples_are_prior_turns_each_with_its_own_tools():
    from toolcall_schema import synthetic

    shot = synthetic.generate(1, seed=5)[0]
    msgs = build_messages(RECORD, shots=[(shot, sft_target(shot, think="example"))])
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user", "assistant", "tool", "user"]
    assert "Available tools" not in msgs[0]["content"]
    assert shot.tools[0].name in msgs[1]["content"] and msgs[2]["content"].startswith("<think>example</think>")
    assert '"get_weather"' in msgs[-1]["content"] and msgs[-1]["content"].endswith("And Paris?")


def test_compact_and_described_tool_formats():
    from toolcall_schema.prompt import tools_json

    params = {
        "type": "object",
        "properties": {
            "location": {"type": "string", "description": "City and state,\n  e.g. 'Austin, TX'."},
            "units": {"type": "string", "enum": ["c", "f"]},
            "hourly": {"type": "boolean", "description": "Hour by hour."},
        },
        "required": ["location"],
    }
    record = Record("f1", "t", [Tool("weather.now", "Now.", params)], [Message("user", "Austin?")], [])
    compact = json.loads(tools_json(record, "compact"))[0]["parameters"]
    assert compact == {"location": "string", "units": "string (c|f), optional", "hourly": "boolean, optional"}
    described = json.loads(tools_json(record, "described"))[0]
    assert described["name"] == "weather.now" and described["description"] == "Now."
    assert described["parameters"] == {
        "location": "string: City and state, e.g. 'Austin, TX'.",  # whitespace folded to one line
        "units": "string (c|f), optional",  # no description, nothing added
        "hourly": "boolean, optional: Hour by hour.",
    }
    assert json.loads(tools_json(record, "json"))[0]["parameters"] == params
