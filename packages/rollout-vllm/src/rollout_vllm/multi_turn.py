"""BFCL v4 multi-turn as an environment: the model's calls run on its own backend instances, the results come back
as a tool message, and when the model ends its message without a call the next user turn comes in.

One :class:`MultiTurnEpisode` per sample (the rollout loop calls :meth:`BFCLMultiTurnEnv.begin` with the sample's
record), so parallel samples of one entry never share a file system. As in BFCL's inference loop
(``base_handler.inference_multi_turn_prompting``): a message whose calls cannot be decoded ends the turn; a turn
is cut after :data:`MAX_STEPS` steps and the whole entry then counts as force-terminated; at a turn where BFCL
adds withheld functions, the user message lists them. Everything injected is a chat-template message of the
policy's own tokenizer (masked by the loop). The episode's record, ``{"turns": [[step text]], "force_quit",
"finished"}``, is what the ``bfcl_multi_turn`` reward judges.
"""

from __future__ import annotations

import json
from typing import Any

from toolcall_schema import Record, parse_output
from toolcall_schema.parse import CALL_CLOSE

MAX_STEPS = 20  # BFCL's MAXIMUM_STEP_LIMIT: more steps than this in one turn force-terminate the entry
ADDED_FUNCTIONS = "I have updated some more functions you can choose from. What about now?"  # BFCL's wording
MULTI_TURN_NOTE = (
    "This is a conversation of several requests. Call tools one step at a time: after each <tool_call> you receive "
    "the results in a <tool_response>. When the current request is done (or cannot be done with the tools), "
    "answer briefly without a tool call; the next request then follows."
)


class ChatPieces:
    """The text a chat template puts between messages, cut from the template itself: what closes an assistant
    message, and a new message of a role followed by the assistant's header."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.eos = tokenizer.eos_token or ""
        base = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]
        head = tokenizer.apply_chat_template(base, tokenize=False, add_generation_prompt=True)
        closed = tokenizer.apply_chat_template(base + [{"role": "assistant", "content": "A"}], tokenize=False)
        if not closed.startswith(head + "A"):
            raise ValueError("the chat template does not render an assistant message after its generation prompt")
        self.close = closed[len(head) + 1 :]  # e.g. "<|im_end|>\n"
        self._base = base + [{"role": "assistant", "content": "A"}]
        self._closed = closed

    def message(self, role: str, content: str, model_closed: bool) -> str:
        """Close the model's message (unless it did, with its end-of-turn token), then ``role``'s message and the
        assistant header."""
        full = self.tokenizer.apply_chat_template(
            self._base + [{"role": role, "content": content}], tokenize=False, add_generation_prompt=True
        )
        if not full.startswith(self._closed):
            raise ValueError("the chat template renders earlier messages differently when one is added")
        close = self.close
        if model_closed and self.eos and close.startswith(self.eos):
            close = close[len(self.eos) :]
        return close + full[len(self._closed) :]


def render_added_functions(tools: list[dict[str, Any]]) -> str:
    """BFCL's user message at a turn that adds withheld functions: the functions, then its sentence."""
    return json.dumps([{"type": "function", "function": t} for t in tools], ensure_ascii=False) + "\n" + ADDED_FUNCTIONS


def tool_response(calls: list[Any], results: list[str]) -> str:
    """The message that returns a step's results."""
    body = json.dumps([{"name": c.name, "result": r} for c, r in zip(calls, results)], ensure_ascii=False)
    return f"<tool_response>\n{body}\n</tool_response>"


def user_message(record: Record, turn: int) -> str:
    """The user's message opening ``turn``: its request, or BFCL's message adding the withheld functions."""
    withheld = record.meta.get("withheld_tools", {})
    if str(turn) in withheld:
        return render_added_functions(withheld[str(turn)])
    return "\n".join(m.get("content") or "" for m in record.meta["question"][turn])


def gold_call_message(call: Any) -> str:
    """One ground-truth call written as the model should write it (worked solutions, the SFT warm start)."""
    body = json.dumps([{"name": call.name, "arguments": call.arguments}], ensure_ascii=False)
    return f"<think>I call {call.name}.</think>\n<tool_call>\n{body}\n</tool_call>"


def solution_pieces(record: Record, tokenizer: Any) -> list[tuple[str, bool]]:
    """The ground-truth conversation as ``(text, written by the model)`` pieces, exactly as the environment would
    splice it: one call per message, its results, a closing answer per turn, the next user turn."""
    from toolcall_schema.multi_turn import Session, gold_calls

    pieces, session = ChatPieces(tokenizer), Session.for_record(record)
    out: list[tuple[str, bool]] = []
    turns = gold_calls(record)
    for t, calls in enumerate(turns):
        if t > 0:
            out.append((pieces.message("user", user_message(record, t), model_closed=True), False))
        for c in calls:
            out.append((gold_call_message(c), True))
            out.append((pieces.message("user", tool_response([c], [session.call(c)]), model_closed=False), False))
        out.append(("Done." + (pieces.eos if t + 1 < len(turns) else ""), True))
    return out


class MultiTurnEpisode:
    """One sample's conversation: its backend instances, the turn it is in and the steps it made."""

    def __init__(self, record: Record, pieces: ChatPieces) -> None:
        from toolcall_schema.multi_turn import Session

        self.record, self.pieces = record, pieces
        self.session = Session.for_record(record)
        self.turns: list[list[str]] = [[]]
        self.steps = 0
        self.force_quit = False
        self.finished = False

    def act(self, segment: str, finish: str) -> str | None:
        """``segment``: what the model just wrote; ``finish``: ``stop`` (it closed a call list), ``eos`` or ``length``
        (cut at the per-message cap: the message as written, like BFCL's output limit)."""
        eos = self.pieces.eos
        closed = finish == "eos"
        self.turns[-1].append(segment[: -len(eos)] if closed and eos and segment.endswith(eos) else segment)
        parsed = parse_output(segment, require_think=False, syntax="json") if finish == "stop" else None
        if parsed is None or parsed.diagnosis.value != "ok" or not parsed.calls:
            return self._next_turn(closed)
        results = self.session.execute(parsed.calls)
        self.steps += 1
        if self.steps > MAX_STEPS:
            self.force_quit = True
            return None
        return self.pieces.message("user", tool_response(parsed.calls, results), model_closed=False)

    def _next_turn(self, closed: bool) -> str | None:
        turn = len(self.turns)
        if turn >= len(self.record.meta["question"]):
            self.finished = True
            return None
        self.turns.append([])
        self.steps = 0
        return self.pieces.message("user", user_message(self.record, turn), model_closed=closed)

    def summary(self) -> dict[str, Any]:
        return {"turns": self.turns, "force_quit": self.force_quit, "finished": self.finished}


class BFCLMultiTurnEnv:
    """Stateful: the loop starts one :class:`MultiTurnEpisode` per sample and also hands it the message the model
    ends with its end-of-turn token (``acts_on_eos``)."""

    stop = [CALL_CLOSE]
    acts_on_eos = True

    def __init__(self, tokenizer: Any) -> None:
        self.pieces = ChatPieces(tokenizer)

    def begin(self, record: Record) -> MultiTurnEpisode:
        if record.source != "bfcl_multi_turn":
            raise ValueError(f"record {record.id}: the multi-turn environment needs a bfcl_multi_turn record")
        return MultiTurnEpisode(record, self.pieces)
