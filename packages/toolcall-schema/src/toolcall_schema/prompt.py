"""Prompt rendering: the Tool-N1 system prompt, through the tokenizer's own chat template.

Tools go to the template's ``tools=`` argument when the template uses it; otherwise (e.g. plain ChatML)
they are embedded as JSON in the system text. Earlier assistant calls are rendered in the same
``<tool_call>`` form the model is asked to produce.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from .model import Record
from .parse import format_completion, format_tool_call

TOOL_N1_SYSTEM_PROMPT = (
    "You are a helpful assistant that can call tools. Answer the user's latest request.\n"
    "First think step by step inside <think> </think>. Then, if tools should be called, write every call "
    "inside one <tool_call> </tool_call> block as a JSON list:\n"
    '<tool_call>\n[{"name": "<tool name>", "arguments": {"<argument>": <value>, ...}}, ...]\n</tool_call>\n'
    "Use only the listed tools and their parameter names. If no tool fits the request, or required "
    "information is missing, call nothing: after </think>, reply to the user in plain text."
)

ToolsPlacement = Literal["auto", "template", "system"]


def tools_json(record: Record) -> str:
    return json.dumps([t.to_dict() for t in record.tools], ensure_ascii=False)


def template_supports_tools(tokenizer: Any) -> bool:
    """Whether the tokenizer's chat template reads a ``tools`` variable."""
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):
        template = template.get("tool_use") or template.get("default") or ""
    return isinstance(template, str) and "tools" in template


def _with_tools(record: Record, text: str) -> str:
    return f"Available tools:\n{tools_json(record)}\n\n{text}"


def build_messages(
    record: Record,
    *,
    system_prompt: str = TOOL_N1_SYSTEM_PROMPT,
    embed_tools: bool = True,
    native_tool_calls: bool = False,
    shots: Sequence[tuple[Record, str]] = (),
) -> list[dict[str, Any]]:
    """The chat messages for ``record``: our system prompt, the record's own system text, worked examples
    (``shots``: (record, gold completion) pairs, shown as earlier turns), then the conversation.

    With ``embed_tools`` the tools go in as JSON: in the system text when there are no shots, else in each
    example's and the record's last user turn (every turn then carries its own tools)."""
    system = system_prompt
    if embed_tools and not shots:
        system += "\n\nAvailable tools:\n" + tools_json(record)
    own_system = [m.content for m in record.messages if m.role == "system" and m.content]
    if own_system:
        system += "\n\n" + "\n".join(own_system)
    out: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for shot, completion in shots:
        question = next((m.content for m in reversed(shot.messages) if m.role == "user"), "")
        out.append({"role": "user", "content": _with_tools(shot, question) if embed_tools else question})
        out.append({"role": "assistant", "content": completion})
    last_user = max((i for i, m in enumerate(record.messages) if m.role == "user"), default=-1)
    for i, m in enumerate(record.messages):
        if m.role == "system":
            continue
        d: dict[str, Any] = {"role": m.role, "content": m.content}
        if shots and embed_tools and i == last_user:
            d["content"] = _with_tools(record, m.content)
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
) -> str:
    """The prompt text for ``record`` through ``tokenizer.apply_chat_template``."""
    use_template = tools == "template" or (tools == "auto" and template_supports_tools(tokenizer))
    messages = build_messages(
        record, system_prompt=system_prompt, embed_tools=not use_template, native_tool_calls=use_template, shots=shots
    )
    kwargs: dict[str, Any] = {"tokenize": False, "add_generation_prompt": add_generation_prompt}
    if use_template:
        kwargs["tools"] = [t.to_openai() for t in record.tools]
    return tokenizer.apply_chat_template(messages, **kwargs)


def sft_target(record: Record, think: str = "") -> str:
    """The gold completion in the Tool-N1 contract (for SFT / warm start)."""
    return format_completion(record.answer, think=think, text="" if record.answer else "No tool call is needed.")
