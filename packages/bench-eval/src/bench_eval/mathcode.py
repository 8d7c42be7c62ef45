"""Math with a code interpreter: GSM8K-format files (``question``, ``answer`` ending ``#### N``), optionally
through SimpleGRPO's "big-value" transform, answered with ``\\boxed{}`` while running Python in the sandbox
(``python`` environment) and scored with math-verify (``toolcall_reward``'s ``boxed`` reward).

The big-value transform rewrites every number in the question to a 9–11 digit integer (or a decimal with two
places where the original had a fraction) and recomputes the answer by replaying GSM8K's own calculator
annotations ``<<48/2=24>>`` with the new values, in exact rational arithmetic. Problems whose steps cannot be
replayed (no annotations, a non-terminating decimal result) are skipped and counted.
"""

from __future__ import annotations

import ast
import operator
import random
import re
from fractions import Fraction
from pathlib import Path

from toolcall_reward import RewardConfig, score
from toolcall_schema import Message, Record
from toolcall_schema.converters._common import BadItem, read_json_items

from .core import Benchmark, Scored, register

_NUM = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])")
_STEP = re.compile(r"<<([^=<>]+)=([^<>]+)>>")
_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def _key(token: str) -> Fraction:
    return Fraction(token.replace(",", "").rstrip("."))


def _eval(expr: str, values: dict[Fraction, Fraction]) -> Fraction:
    """An annotation's arithmetic with every number replaced through ``values`` (others kept)."""
    tree = ast.parse(_NUM.sub(lambda m: m.group(0).replace(",", ""), expr.strip()), mode="eval")

    def ev(node: ast.AST) -> Fraction:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            v = Fraction(str(node.value))
            return values.get(v, v)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            if isinstance(node.op, ast.Pow):
                exp = ev(node.right)
                if exp.denominator != 1 or abs(exp) > 8:
                    raise ValueError("unsupported power")
                return _OPS[ast.Pow](ev(node.left), int(exp))
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.operand))
        raise ValueError(f"unsupported expression {ast.dump(node)[:60]}")

    return ev(tree)


def fmt(x: Fraction) -> str | None:
    """Exact decimal text of ``x``, or None when it does not terminate."""
    d, twos, fives = x.denominator, 0, 0
    while d % 2 == 0:
        d, twos = d // 2, twos + 1
    while d % 5 == 0:
        d, fives = d // 5, fives + 1
    if d != 1:
        return None
    places = max(twos, fives)
    scaled = x * 10**places  # an integer: 10**places is divisible by the denominator
    sign, digits = ("-" if scaled < 0 else ""), str(abs(int(scaled))).rjust(places + 1, "0")
    if not places:
        return sign + digits
    return sign + (digits[:-places] + "." + digits[-places:]).rstrip("0").rstrip(".")


def gold_answer(answer: str) -> str:
    return answer.split("####")[-1].strip().replace(",", "")


def big_values(question: str, answer: str, rng: random.Random) -> tuple[str, str] | None:
    """(question with big numbers, recomputed answer), or None when the solution cannot be replayed."""
    steps = _STEP.findall(answer)
    if not steps:
        return None
    mapping: dict[Fraction, Fraction] = {}
    for token in _NUM.findall(question):
        old = _key(token)
        if old not in mapping:
            frac = "." in token.replace(",", "").rstrip(".")
            big = Fraction(rng.randint(10**6, 10**8), 100) if frac else Fraction(rng.randint(10**8, 10**11 - 1))
            mapping[old] = big
    values = dict(mapping)
    try:
        for expr, result in steps:
            values[_key(result.strip())] = _eval(expr, values)
        final = values.get(Fraction(gold_answer(answer)))
    except (ValueError, ZeroDivisionError, SyntaxError, OverflowError):
        return None
    text = fmt(final) if final is not None else None
    if text is None:
        return None
    new_q = _NUM.sub(lambda m: fmt(mapping[_key(m.group(0))]) or m.group(0), question)
    return new_q, text


@register("math")
class MathCode(Benchmark):
    categories = ("gsm8k", "gsm8k_big")
    default_categories = ("gsm8k", "gsm8k_big")
    output = "python"

    def load(self, categories=None, data=None, limit=None) -> list[Record]:
        if data is None:
            raise ValueError("math: pass --data FILE (GSM8K-format JSON Lines: question, answer '... #### N')")
        rows = []
        for index, row in enumerate(read_json_items(Path(data), skip_bad=True)):
            if isinstance(row, BadItem):
                self.skip("gsm8k", None, row.reason, index)
            elif (
                not isinstance(row, dict)
                or not isinstance(row.get("question"), str)
                or "####" not in str(row.get("answer", ""))
            ):
                rid = str(row.get("id")) if isinstance(row, dict) and "id" in row else None
                self.skip("gsm8k", rid, "needs a string 'question' and an 'answer' ending '#### N'", index)
            else:
                rows.append((index, row))
        records: list[Record] = []
        rng = random.Random(0)
        for cat in self.resolve(categories):
            kept = []
            for i, row in rows:
                q, a = row["question"], gold_answer(row["answer"])
                if cat == "gsm8k_big":
                    out = big_values(row["question"], row["answer"], rng)
                    if out is None:
                        reason = "big values: the answer cannot be replayed exactly"
                        self.skip(cat, str(row.get("id", i)), reason, i, bad=False)
                        continue
                    q, a = out
                kept.append(
                    Record(
                        f"{cat}-{row.get('id', i)}",
                        Path(data).name,
                        [],
                        [Message("user", q)],
                        [],
                        meta={"category": cat, "gold": a},
                    )
                )
            records.extend(kept[:limit] if limit else kept)
        return records

    def score(self, record: Record, output: str) -> Scored:
        res = score(output, record, RewardConfig(reward="boxed"))
        return Scored(record.id, self.category(record), res.correct, res.reason)
