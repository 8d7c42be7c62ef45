"""Prompts for the code-interpreter environments (SimpleGRPO Auto_Program style)."""

from __future__ import annotations

from collections.abc import Sequence

from toolcall_schema import Record

PYTHON_SYSTEM = (
    "You solve math problems by thinking step by step inside <think> </think>. While thinking you may run "
    "Python: write the code in a ```python block, then write ```output on the next line and stop; the "
    "program's output will be filled in and you continue. Finally give the answer as "
    "<answer>\\boxed{...}</answer>."
)
CODER_SYSTEM = (
    "You solve math problems by thinking step by step inside <think> </think>. When a computation is needed, "
    "describe it in words inside <request> </request> and stop; a programmer will run it and the result "
    "appears in <result> </result>. Finally give the answer as <answer>\\boxed{...}</answer>."
)


def math_messages(record: Record, env: str, shots: Sequence[tuple[Record, str]] = ()) -> list[dict[str, str]]:
    """Chat messages for a math record under the ``python`` or ``coder`` environment; ``shots`` (record, worked
    solution) pairs come first as earlier turns."""
    system = PYTHON_SYSTEM if env == "python" else CODER_SYSTEM
    messages = [{"role": "system", "content": system}]
    for shot, solution in shots:
        messages += [{"role": "user", "content": shot.messages[-1].content}, {"role": "assistant", "content": solution}]
    return messages + [{"role": m.role, "content": m.content} for m in record.messages if m.role != "system"]
