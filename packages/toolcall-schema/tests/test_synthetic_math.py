"""The big-value word-problem generator: deterministic, big values, exact answers, held-out families."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from toolcall_schema import synthetic_math as sm


def test_deterministic_with_big_values_and_exact_programs():
    a, b = sm.generate(60, seed=3), sm.generate(60, seed=3)
    assert [r.to_dict() for r in a] == [r.to_dict() for r in b]
    assert {r.meta["family"] for r in a} == {f.name for f in sm.FAMILIES}
    for r in a:
        question = r.messages[0].content
        assert any(len(n) >= 9 for n in re.findall(r"\d+", question)), question  # at least one 9-11 digit value
        scope = {"D": __import__("decimal").Decimal}
        expression = r.meta["program"].splitlines()[-1][len("print(") : -1]
        assert Fraction(str(eval(expression, scope))) == Fraction(r.meta["gold"]), r.meta  # noqa: S307 - ours


def test_held_out_families_are_never_trained_on():
    train, held = sm.family_split()
    assert {f.name for f in held} == set(sm.HELD_OUT) and not {f.name for f in train} & set(sm.HELD_OUT)
    assert {r.meta["family"] for r in sm.generate(40, families=held)} == set(sm.HELD_OUT)


@pytest.mark.parametrize(("value", "text"), [(Fraction(5, 4), "1.25"), (Fraction(7), "7"), (Fraction(-1, 8), "-0.125")])
def test_show_writes_terminating_decimals(value, text):
    assert sm.show(value) == text
    with pytest.raises(ValueError):
        sm.show(Fraction(1, 3))


def test_probe_golds_are_what_their_programs_print():
    import contextlib
    import io

    from toolcall_schema.synthetic_math import probes

    records = probes()
    assert len(records) == 12 and len({r.meta["family"] for r in records}) == 4
    for r in records:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(r.meta["program"], {})
        assert out.getvalue().strip() == r.meta["gold"], r.messages[0].content
    assert {r.messages[0].content: r.meta["gold"] for r in records}["Which number is larger, 3.11 or 3.9?"] == "3.9"


def test_minimal_pairs_ask_one_story_two_ways():
    import random

    make = {f.name: f.make for f in sm.family_split()[0]}
    together, more = make["coins_together"](random.Random(5)), make["coins_more"](random.Random(5))
    story = together[0].split(". ")[0]
    assert more[0].startswith(story) and together[0] != more[0]
    assert (together[1].split(" ")[1], more[1].split(" ")[1]) == ("+", "-")
    a, b = (Fraction(n) for n in re.findall(r"\d+", story))
    assert (together[2], more[2]) == (a + b, a - b) and a >= b

    total, each = make["bottles_total"](random.Random(9)), make["bottles_each"](random.Random(9))
    per_minute, minutes = (Fraction(n) for n in re.findall(r"\d+", total[0]))
    assert total[2] == per_minute * minutes and each[2] == per_minute
    assert re.findall(r"\d+", each[0]) == [str(total[2]), str(minutes)]


def test_the_halves_of_a_minimal_pair_share_a_pair_id():
    records = sm.generate(140, seed=1, families=sm.family_split()[0])
    halves: dict[str, list[str]] = {}
    for r in records:
        if "pair" in r.meta:
            halves.setdefault(r.meta["pair"], []).append(r.meta["family"])
    assert len(halves) == 20  # 10 rounds of 14 families, two pairs each
    for key, families in halves.items():
        assert sorted(families) == (
            ["coins_more", "coins_together"] if key.startswith("coins-") else ["bottles_each", "bottles_total"]
        )
    assert all("pair" not in r.meta for r in sm.generate(40, families=sm.family_split()[1]))
