"""The data model: one validated record type for every tool-calling dataset.

A :class:`Record` is one prediction problem: the tools on offer, the conversation so far and the gold
calls (``answer``) of the next assistant turn. ``answer == []`` means the right move is not to call.
Records convert to and from plain JSON-able dicts; :func:`toolcall_schema.validate.validate_record`
checks that dict form against the shipped JSON Schema (``record.schema.json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]
ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")


@dataclass(slots=True)
class Tool:
    """A callable tool: ``parameters`` is a JSON Schema of type ``object``."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "parameters": self.parameters}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Tool:
        return cls(
            name=d["name"],
            description=d.get("description", ""),
            parameters=d.get("parameters") or {"type": "object", "properties": {}},
        )

    def to_openai(self) -> dict[str, Any]:
        """The OpenAI ``tools=[...]`` entry (also what HF chat templates take)."""
        return {"type": "function", "function": self.to_dict()}


@dataclass(slots=True)
class ToolCall:
    """One call: a tool name and its keyword arguments."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ToolCall:
        return cls(name=d["name"], arguments=d.get("arguments") or {})


@dataclass(slots=True)
class Message:
    """A conversation turn. Assistant turns may carry ``tool_calls``; tool turns name their tool."""

    role: Role
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            d["tool_calls"] = [c.to_dict() for c in self.tool_calls]
        if self.name is not None:
            d["name"] = self.name
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Message:
        return cls(
            role=d["role"],
            content=d.get("content") or "",
            tool_calls=[ToolCall.from_dict(c) for c in d.get("tool_calls") or []],
            name=d.get("name"),
        )


@dataclass(slots=True)
class Record:
    """One training or evaluation example.

    ``alternatives`` is the lossless place for per-argument acceptable values, in BFCL's possible-answer
    form (one entry per gold call: ``{"name": ..., "arguments": {arg: [accepted values]}}``; ``""`` in a
    list means the argument may be omitted; dict values nest the same form). ``answer_alternatives``
    holds other complete answers that are equally correct (ACEBench lists some).
    """

    id: str
    source: str
    tools: list[Tool]
    messages: list[Message]
    answer: list[ToolCall]
    alternatives: list[dict[str, Any]] | None = None
    answer_alternatives: list[list[ToolCall]] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "tools": [t.to_dict() for t in self.tools],
            "messages": [m.to_dict() for m in self.messages],
            "answer": [c.to_dict() for c in self.answer],
        }
        if self.alternatives is not None:
            d["alternatives"] = self.alternatives
        if self.answer_alternatives is not None:
            d["answer_alternatives"] = [[c.to_dict() for c in a] for a in self.answer_alternatives]
        if self.meta:
            d["meta"] = self.meta
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Record:
        alts = d.get("answer_alternatives")
        return cls(
            id=d["id"],
            source=d["source"],
            tools=[Tool.from_dict(t) for t in d["tools"]],
            messages=[Message.from_dict(m) for m in d["messages"]],
            answer=[ToolCall.from_dict(c) for c in d["answer"]],
            alternatives=d.get("alternatives"),
            answer_alternatives=None if alts is None else [[ToolCall.from_dict(c) for c in a] for a in alts],
            meta=d.get("meta") or {},
        )

    @property
    def tool_names(self) -> set[str]:
        return {t.name for t in self.tools}

    def tool(self, name: str) -> Tool | None:
        """The tool called ``name``, or None."""
        for t in self.tools:
            if t.name == name:
                return t
        return None
