"""Environments: what happens when the model hands over control with a stop marker.

``act(text)`` gets the completion so far (the model just produced one of ``stop``) and returns the
observation to splice in (its tokens get mask 0), or ``None`` when the episode is over.

- :class:`FunctionCallEnv` (Tool-N1): one step, nothing executed.
- :class:`PythonEnv` (SimpleGRPO *think while acting*): the model writes a fenced python block and then
  opens an output fence; the block runs in the sandbox and its output fills the fence.
- :class:`CoderEnv` (*division of labour*): the model writes a request in words inside
  ``<request>…</request>``; a coder (any callable, by default an engine with a coder prompt) writes the code;
  the sandbox runs it and the result comes back inside ``<result>…</result>``.
- :class:`ToolsEnv`: ``<tool_call>`` JSON is executed against registered Python callables and the results
  come back as ``<tool_response>`` JSON (e.g. API-Bank-style mock APIs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from toolcall_schema import parse_output
from toolcall_schema.markers import CODE_OPEN, FENCE_CLOSE, OUTPUT_OPEN
from toolcall_schema.parse import CALL_CLOSE

from .sandbox import Sandbox

REQUEST_OPEN, REQUEST_CLOSE = "<request>", "</request>"
RESULT_OPEN, RESULT_CLOSE = "<result>", "</result>"
_CODE_RE = re.compile(re.escape(CODE_OPEN) + r"\n?(.*?)" + re.escape(FENCE_CLOSE), re.DOTALL)


class FunctionCallEnv:
    """Single step: the completion is the answer, and it ends where its ``<tool_call>`` list closes (a small model
    would otherwise repeat the block until the token limit)."""

    stop: list[str] = [CALL_CLOSE]

    def act(self, text: str) -> str | None:
        return None


def last_code_block(text: str) -> str | None:
    """The last fenced python block before the final output fence."""
    head = text[: text.rfind(OUTPUT_OPEN)] if OUTPUT_OPEN in text else text
    blocks = _CODE_RE.findall(head)
    return blocks[-1] if blocks else None


class PythonEnv:
    """Run the model's last python block; its output fills the ```output fence the model opened."""

    stop = [OUTPUT_OPEN]

    def __init__(self, sandbox: Sandbox | None = None) -> None:
        self.sandbox = sandbox or Sandbox()

    def act(self, text: str) -> str | None:
        code = last_code_block(text)
        if code is None:
            return f"\n[error] no {CODE_OPEN} block before {OUTPUT_OPEN}\n{FENCE_CLOSE}\n"
        result = self.sandbox.run(code).render()
        return f"\n{result.rstrip()}\n{FENCE_CLOSE}\n"


CODER_PROMPT = (
    "Write one self-contained Python program that does the following and prints the result. "
    "Reply with only the code in a ```python block.\n\nTask: {request}"
)


class CoderEnv:
    """Division of labour: a coder turns the model's request into code, the sandbox runs it. ``coder`` maps a
    list of requests to a list of replies, so one call serves every sample that asked in this round (the rollout
    loop calls :meth:`act_batch`)."""

    stop = [REQUEST_CLOSE]

    def __init__(self, coder: Callable[[list[str]], list[str]], sandbox: Sandbox | None = None) -> None:
        self.coder, self.sandbox = coder, sandbox or Sandbox()

    def act(self, text: str) -> str | None:
        return self.act_batch([text])[0]

    def act_batch(self, texts: list[str]) -> list[str | None]:
        requests: list[str | None] = []
        for text in texts:
            start, end = text.rfind(REQUEST_OPEN), text.rfind(REQUEST_CLOSE)
            requests.append(text[start + len(REQUEST_OPEN) : end].strip() if 0 <= start < end else None)
        asked = [r for r in requests if r is not None]
        replies = iter(self.coder(asked) if asked else [])
        codes = []
        for r in requests:
            if r is None:
                codes.append(None)
                continue
            reply = next(replies)
            blocks = _CODE_RE.findall(reply)
            codes.append(blocks[-1] if blocks else reply)
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda c: None if c is None else self.sandbox.run(c).render(), codes))
        return [
            f"\n{RESULT_OPEN}\n"
            + (f"[error] no {REQUEST_OPEN} before {REQUEST_CLOSE}" if res is None else res.rstrip())
            + f"\n{RESULT_CLOSE}\n"
            for res in results
        ]


def observation_failed(text: str) -> bool:
    """Whether an interpreter observation reports a failure (a traceback, an ``[error]`` or ``[timeout]`` line)."""
    return "Traceback (most recent call last)" in text or "[error]" in text or "[timeout]" in text


class ToolsEnv:
    """Execute ``<tool_call>`` JSON against Python callables; errors come back as observations too."""

    stop = ["</tool_call>"]

    def __init__(self, functions: dict[str, Callable[..., Any]]) -> None:
        self.functions = functions

    def act(self, text: str) -> str | None:
        start = text.rfind("<tool_call>")
        parsed = parse_output(text[start:] if start >= 0 else text, require_think=False, syntax="json")
        if not parsed.calls:
            return None
        results = []
        for call in parsed.calls:
            fn = self.functions.get(call.name)
            if fn is None:
                results.append({"name": call.name, "error": f"unknown tool {call.name!r}"})
                continue
            try:
                results.append({"name": call.name, "result": fn(**call.arguments)})
            except Exception as e:  # noqa: BLE001 - a failing tool is an observation, not a crash
                results.append({"name": call.name, "error": f"{type(e).__name__}: {e}"})
        return "\n<tool_response>\n" + json.dumps(results, ensure_ascii=False, default=str) + "\n</tool_response>\n"
