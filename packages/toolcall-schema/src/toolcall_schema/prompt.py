"""Prompt rendering: the Tool-N1 system prompt, through the tokenizer's own chat template.

Tools go to the template's ``tools=`` argument when the template uses it; otherwise (e.g. plain ChatML)
they are embedded as JSON in the system text. Earlier assistant calls are rendered in the same
``<tool_call>`` form the model is asked to produce.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal, get_args

from .model import Record
from .parse import format_completion, format_tool_call

TOOL_N1_SYSTEM_PROMPT = (
    "You are a helpful assistant that can call tools. Answer the user's latest request.\n"
    "First think briefly inside <think> </think>. Then, if tools should be called, write every call inside one "
    "<tool_call> </tool_call> block as a JSON list, for example:\n"
    '<think>...</think>\n<tool_call>\n[{"name": "tool_name", "arguments": {"argument": "value"}}]\n</tool_call>\n'
    "Use only the listed tools and their parameter names, with values taken from the request. If no tool fits "
    "the request, or required information is missing, call nothing: after </think>, reply in plain text."
)

# The no-reasoning ablation (Tool-N1 trains with and without the thought): the same contract, minus the <think>.
DIRECT_SYSTEM_PROMPT = (
    "You are a helpful assistant that can call tools. Answer the user's latest request.\n"
    "If tools should be called, write every call inside one <tool_call> </tool_call> block as a JSON list, for "
    'example:\n<tool_call>\n[{"name": "tool_name", "arguments": {"argument": "value"}}]\n</tool_call>\n'
    "Use only the listed tools and their parameter names, with values taken from the request. If no tool fits "
    "the request, or required information is missing, call nothing: reply in plain text."
)

ToolsPlacement = Literal["auto", "template", "system"]
ToolFormat = Literal["json", "compact", "described"]
TOOL_FORMATS: tuple[str, ...] = get_args(ToolFormat)


def tools_json(record: Record, tool_format: ToolFormat = "json") -> str:
    """The record's tools as JSON: full JSON Schemas (``json``), one line per parameter type (``compact``:
    ``{"city": "string", "units": "string (celsius|fahrenheit), optional"}``), which small models read better
    and which keeps prompts short, or that line followed by the parameter's description (``described``:
    ``{"city": "string: City and state, e.g. 'Berkeley, CA'"}``), which is where a value's format is stated."""
    if tool_format == "json":
        return json.dumps([t.to_dict() for t in record.tools], ensure_ascii=False)
    out = []
    for t in record.tools:
        required = set(t.parameters.get("required") or [])
        params = {}
        for name, spec in (t.parameters.get("properties") or {}).items():
            spec = spec if isinstance(spec, dict) else {}
            line = str(spec.get("type", "any"))
            if spec.get("enum"):
                line += " (" + "|".join(map(str, spec["enum"])) + ")"
            if name not in required:
                line += ", optional"
            if tool_format == "described" and spec.get("description"):
                line += ": " + " ".join(str(spec["description"]).split())
            params[name] = line
        out.append({"name": t.name, "description": t.description, "parameters": params})
    return json.dumps(out, ensure_ascii=False)


def template_supports_tools(tokenizer: Any) -> bool:
    """Whether the tokenizer's chat template reads a ``tools`` variable."""
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):
        template = template.get("tool_use") or template.get("default") or ""
    return isinstance(template, str) and "tools" in template


def _with_tools(record: Record, text: str, tool_format: ToolFormat) -> str:
    return f"Available tools:\n{tools_json(record, tool_format)}\n\n{text}"


def build_messages(
    record: Record,
    *,
    system_prompt: str = TOOL_N1_SYSTEM_PROMPT,
    embed_tools: bool = True,
    native_tool_calls: bool = False,
    shots: Sequence[tuple[Record, str]] = (),
    tool_format: ToolFormat = "json",
) -> list[dict[str, Any]]:
    """The chat messages for ``record``: our system prompt, the record's own system text, worked examples
    (``shots``: (record, gold completion) pairs, shown as earlier turns), then the conversation.

    With ``embed_tools`` the tools go in as JSON: in the system text when there are no shots, else in each
    example's and the record's last user turn (every turn then carries its own tools)."""
    system = system_prompt
    if embed_tools and not shots:
        system += "\n\nAvailable tools:\n" + tools_json(record, tool_format)
    own_system = [m.content for m in record.messages if m.role == "system" and m.content]
    if own_system:
        system += "\n\n" + "\n".join(own_system)
    out: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for shot, completion in shots:
        question = next((m.content for m in reversed(shot.messages) if m.role == "user"), "")
        out.append({"role": "user", "content": _with_tools(shot, question, tool_format) if embed_tools else question})
        out.append({"role": "assistant", "content": completion})
    last_user = max((i for i, m in enumerate(record.messages) if m.role == "user"), default=-1)
    for i, m in enumerate(record.messages):
        if m.role == "system":
            continue
        d: dict[str, Any] = {"role": m.role, "content": m.content}
        if shots and embed_tools and i == last_user:
            d["content"] = _with_tools(record, m.content, tool_format)
        if m.tool_calls:
            if native_tool_calls:
                d["tool_calls"] = [
                    {"type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in m.tool_calls
                ]
            else:
                d["content"] = (m.content + "\n" if m.content else "") + format_tool_call(m.tool_calls)
        if m.role == "tool" and m.name:
            d["name"] = m.name
        out.append(d)
    return out


def render_prompt(
    record: Record,
    tokenizer: Any,
    *,
    system_prompt: str = TOOL_N1_SYSTEM_PROMPT,
    tools: ToolsPlacement = "auto",
    add_generation_prompt: bool = True,
    shots: Sequence[tuple[Record, str]] = (),
    tool_format: ToolFormat = "json",
) -> str:
    """The prompt text for ``record`` through ``tokenizer.apply_chat_template``."""
    use_template = tools == "template" or (tools == "auto" and template_supports_tools(tokenizer))
    messages = build_messages(
        record,
        system_prompt=system_prompt,
        embed_tools=not use_template,
        native_tool_calls=use_template,
        shots=shots,
        tool_format=tool_format,
    )
    kwargs: dict[str, Any] = {"tokenize": False, "add_generation_prompt": add_generation_prompt}
    if use_template:
        kwargs["tools"] = [t.to_openai() for t in record.tools]
    return tokenizer.apply_chat_template(messages, **kwargs)


def sft_target(record: Record, think: str = "") -> str:
    """The gold completion in the Tool-N1 contract (for SFT / warm start)."""
    return format_completion(record.answer, think=think, text="" if record.answer else "No tool call is needed.")
