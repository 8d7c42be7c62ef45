"""SimpleGRPO Auto_Program rewards: boxed-answer accuracy (math-verify), the ``<think>…</think><answer>…</answer>``
format, the tool-use term and the format-heavy-early / accuracy-heavy-later weight schedule.

These rewards read the gold answer from ``record.meta["gold"]`` (bench-eval's math adapter and the
trainer's math datasets put it there).
"""

from __future__ import annotations

import re

from toolcall_schema import Record
from toolcall_schema.markers import CODE_OPEN, ERROR_MARKERS, FENCE_CLOSE, OUTPUT_OPEN

from .config import RewardConfig
from .rewards import RewardContext, RewardResult, register_reward

_FORMAT = re.compile(r"\s*<think>.*?</think>\s*<answer>.*?</answer>\s*", re.DOTALL)
_OUTPUT = re.compile(re.escape(OUTPUT_OPEN) + r"\n?(.*?)" + re.escape(FENCE_CLOSE), re.DOTALL)


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{…}`` (braces balanced), or None."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    i, depth = start + len("\\boxed{"), 1
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i:j]
    return None


def answers_equal(predicted: str, gold: str) -> bool:
    """Mathematical equality by ``math-verify`` (``1/2`` ≡ ``0.5`` ≡ ``\\frac{1}{2}``)."""
    from math_verify import parse, verify

    try:
        return bool(verify(parse(f"\\boxed{{{gold}}}"), parse(f"\\boxed{{{predicted}}}")))
    except Exception:  # noqa: BLE001 - math-verify raises on exotic input; a reward must not
        return predicted.strip() == gold.strip()


def tool_use(text: str) -> tuple[int, int]:
    """(python blocks whose output came back clean, blocks whose output shows an error or timeout)."""
    ok = err = 0
    for m in _OUTPUT.finditer(text):
        if any(marker in m.group(1) for marker in ERROR_MARKERS):
            err += 1
        else:
            ok += 1
    return ok, err


def schedule_weights(cfg: RewardConfig, progress: float) -> tuple[float, float]:
    """(format weight, accuracy scale) at training ``progress``, linear between the schedule's points."""
    pts = sorted(cfg.schedule)
    p = min(max(progress, pts[0][0]), pts[-1][0])
    for (p0, f0, a0), (p1, f1, a1) in zip(pts, pts[1:]):
        if p0 <= p <= p1:
            t = 0.0 if p1 == p0 else (p - p0) / (p1 - p0)
            return f0 + t * (f1 - f0), a0 + t * (a1 - a0)
    return pts[-1][1], pts[-1][2]


def _accuracy(text: str, record: Record) -> float:
    gold = record.meta.get("gold")
    boxed = last_boxed(text)
    return float(gold is not None and boxed is not None and answers_equal(boxed, str(gold)))


@register_reward("boxed")
def boxed(text: str, record: Record, cfg: RewardConfig) -> RewardResult:
    acc = _accuracy(text, record)
    reason = "ok" if acc else ("no_boxed" if last_boxed(text) is None else "wrong_answer")
    return RewardResult(acc, {"accuracy": acc}, reason, correct=bool(acc))


@register_reward("think_answer_format")
def think_answer_format(text: str, record: Record, cfg: RewardConfig) -> RewardResult:
    ok = float(bool(_FORMAT.fullmatch(text)))  # a format credit: never a right answer by itself
    return RewardResult(ok, {"format": ok}, "ok" if ok else "format:think_answer")


@register_reward("tool_use")
def tool_use_reward(text: str, record: Record, cfg: RewardConfig) -> RewardResult:
    ok, err = tool_use(text)
    term = float(max(0, min(cfg.tool_cap, ok) - err))
    return RewardResult(term, {"tool_ok": float(ok), "tool_errors": float(err), "code_blocks": text.count(CODE_OPEN)})


@register_reward("auto_program")
def auto_program(text: str, record: Record, cfg: RewardConfig, ctx: RewardContext) -> RewardResult:
    """format_weight(progress)·format + accuracy_weight·scale(progress)·accuracy + tool_weight·tool-use, with
    the training progress from ``ctx``."""
    fmt = float(bool(_FORMAT.fullmatch(text)))
    acc = _accuracy(text, record)
    ok, err = tool_use(text)
    tool = float(max(0, min(cfg.tool_cap, ok) - err))
    w_fmt, scale = schedule_weights(cfg, ctx.progress)
    total = w_fmt * fmt + cfg.accuracy_weight * scale * acc + cfg.tool_weight * tool
    reason = "ok" if acc else "wrong_answer"
    parts = {"format": fmt, "accuracy": acc, "tool_use": tool, "format_weight": w_fmt}
    return RewardResult(total, parts, reason, correct=bool(acc))
