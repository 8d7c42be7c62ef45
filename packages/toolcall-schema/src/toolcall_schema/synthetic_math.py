"""A deterministic generator of arithmetic word problems with big values (SimpleGRPO Auto_Program's setting).

Values are 9–11-digit integers and 2-place decimals, so the answer is out of reach of mental arithmetic and the
model has to compute it (write Python, or ask a coder). Templates come in families of 1–3 operations; a held-out
split by family makes evaluation measure problems of kinds never trained on. Each record carries the exact gold
answer (``meta.gold``, exact rational arithmetic, printed as an integer or a terminating decimal), the program
that computes it (``meta.program``, for worked examples and the SFT warm start) and its family.

>>> r = generate(1, seed=0)[0]
>>> sorted(r.meta)
['family', 'gold', 'program']
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from .model import Message, Record

NAMES = ["Alice", "Bruno", "Chen", "Dara", "Emil", "Farah", "Goran", "Hana", "Ines", "Jonas"]
THINGS = ["bolts", "tickets", "seeds", "tiles", "coins", "stamps", "bricks", "cards"]


def big(rng: random.Random) -> int:
    """A 9–11-digit integer."""
    return rng.randint(10**8, 10**11 - 1)


def money(rng: random.Random) -> Fraction:
    """A price with two decimal places, 1.00–999.99."""
    return Fraction(rng.randint(100, 99_999), 100)


def show(x: Fraction | int) -> str:
    """An exact value as the problem and the answer write it: an integer, or a terminating decimal."""
    x = Fraction(x)
    if x.denominator == 1:
        return str(x.numerator)
    d, places = x.denominator, 0
    while d % 10 == 0 or d % 2 == 0 or d % 5 == 0:
        if d % 10 == 0:
            d //= 10
        elif d % 2 == 0:
            d //= 2
        else:
            d //= 5
        places += 1
    if d != 1:
        raise ValueError(f"{x} has no terminating decimal")
    scaled = abs(x) * 10**places
    whole, frac = divmod(int(scaled), 10**places)
    text = f"{whole}.{frac:0{places}d}".rstrip("0").rstrip(".")
    return ("-" if x < 0 else "") + text


def cents(x: Fraction) -> str:
    """An amount of money with its two decimal places: ``284.90``."""
    whole, frac = divmod(int(x * 100), 100)
    return f"{whole}.{frac:02d}"


def dec(x: Fraction) -> str:
    """An amount as exact Python: ``D("12.34")`` (``decimal.Decimal``; a float would round big products)."""
    return f'D("{cents(x)}")'


def program(expression: str) -> str:
    """The Python that prints ``expression``'s value exactly."""
    header = "from decimal import Decimal as D\n" if 'D("' in expression else ""
    return f"{header}print({expression})"


@dataclass(frozen=True)
class Family:
    """One kind of problem: ``make(rng)`` → (question, Python expression of the answer, exact answer). ``pair``
    names the minimal pair the family is one half of ('' for none)."""

    name: str
    make: Callable[[random.Random], tuple[str, str, Fraction]]
    pair: str = ""


def _families() -> list[Family]:
    fams: list[Family] = []

    def family(name: str, pair: str = ""):
        def deco(fn):
            fams.append(Family(name, fn, pair))
            return fn

        return deco

    @family("bulk_order")
    def _(rng):
        a, b = big(rng), rng.randint(12, 999)
        who, what = rng.choice(NAMES), rng.choice(THINGS)
        return f"{who} orders {a} boxes with {b} {what} in each box. How many {what} is that?", f"{a} * {b}", a * b

    @family("savings")
    def _(rng):
        a, b, c = big(rng), big(rng), big(rng)
        c = min(c, a + b - 1)
        who = rng.choice(NAMES)
        q = f"{who} has {a} dollars, earns {b} dollars more and then spends {c} dollars. How many dollars are left?"
        return q, f"{a} + {b} - {c}", Fraction(a + b - c)

    @family("price_total")
    def _(rng):
        n, p = big(rng), money(rng)
        what = rng.choice(THINGS)
        q = f"A shop sells {n} {what} at {cents(p)} dollars each. What is the total price in dollars?"
        return q, f"{n} * {dec(p)}", n * p

    @family("fair_share")
    def _(rng):
        k, each = rng.randint(3, 97), big(rng)
        total = k * each
        who = rng.choice(NAMES)
        q = f"{who} splits {total} points equally among {k} teams. How many points does each team get?"
        return q, f"{total} // {k}", Fraction(each)

    @family("difference")
    def _(rng):
        a, b = sorted((big(rng), big(rng)), reverse=True)
        x, y = rng.sample(NAMES, 2)
        q = f"{x} walked {a} steps this year and {y} walked {b} steps. How many more steps did {x} walk?"
        return q, f"{a} - {b}", Fraction(a - b)

    @family("restock")
    def _(rng):
        a, b, c = big(rng), rng.randint(2, 99), big(rng) // 1000
        what = rng.choice(THINGS)
        q = f"A warehouse has {a} {what}. It receives {b} crates of {c} {what} each. How many {what} does it have now?"
        return q, f"{a} + {b} * {c}", Fraction(a + b * c)

    @family("discount")
    def _(rng):
        n, p, off = big(rng), money(rng), Fraction(rng.randint(1, 99), 100)
        off = min(off, p - Fraction(1, 100))
        q = (
            f"Each ticket costs {cents(p)} dollars, with a discount of {cents(off)} dollars per ticket. "
            f"What do {n} tickets cost in dollars?"
        )
        return q, f"{n} * ({dec(p)} - {dec(off)})", n * (p - off)

    @family("speed_distance")
    def _(rng):
        speed, hours = big(rng), rng.randint(2, 999)
        q = f"A probe travels {speed} meters every hour for {hours} hours. How many meters does it travel?"
        return q, f"{speed} * {hours}", Fraction(speed * hours)

    @family("two_purchases")
    def _(rng):
        a, b, p, r = big(rng), big(rng), money(rng), money(rng)
        q = (
            f"A factory buys {a} screws at {cents(p)} dollars each and {b} nuts at {cents(r)} dollars each. "
            f"How much does it pay in dollars?"
        )
        return q, f"{a} * {dec(p)} + {b} * {dec(r)}", a * p + b * r

    @family("average")
    def _(rng):
        a, b = big(rng), big(rng)
        c = rng.randint(10**8, 10**11 - 1)
        c += (-(a + b + c)) % 3  # a whole-number mean
        q = f"Three towns have {a}, {b} and {c} residents. What is the average number of residents?"
        return q, f"({a} + {b} + {c}) // 3", Fraction(a + b + c, 3)

    @family("leftover")
    def _(rng):
        total, k = big(rng), rng.randint(7, 997)
        what = rng.choice(THINGS)
        q = f"{total} {what} are packed in bags of {k}. How many {what} are left over after filling the bags?"
        return q, f"{total} % {k}", Fraction(total % k)

    @family("yearly_income")
    def _(rng):
        monthly, extra = money(rng) * 1000, big(rng)
        q = (
            f"A company earns {cents(monthly)} dollars every month and gets a one-off payment of {extra} dollars. "
            f"How many dollars does it earn in a year?"
        )
        return q, f"12 * {dec(monthly)} + {extra}", 12 * monthly + extra

    @family("per_day")
    def _(rng):
        days, each = rng.randint(3, 365), big(rng)
        total = days * each
        q = f"A factory made {total} widgets in {days} days, the same number every day. How many did it make per day?"
        return q, f"{total} // {days}", Fraction(each)

    @family("ticket_revenue")
    def _(rng):
        n, p = big(rng), money(rng)
        q = f"A stadium sold {n} seats for {cents(p)} dollars each. How much money did it take in, in dollars?"
        return q, f"{n} * {dec(p)}", n * p

    @family("solar_output")
    def _(rng):
        a, b = big(rng), rng.randint(100, 999)
        q = f"A solar farm has {a} panels and each panel makes {b} watts. How many watts does the farm make?"
        return q, f"{a} * {b}", Fraction(a * b)

    @family("server_bill")
    def _(rng):
        n, p = big(rng), money(rng)
        q = f"A cloud provider bills {cents(p)} dollars for each of {n} servers. What is the bill in dollars?"
        return q, f"{n} * {dec(p)}", n * p

    @family("reservoir")
    def _(rng):
        a, b = sorted((big(rng), big(rng)), reverse=True)
        q = f"A reservoir holds {a} liters. Then {b} liters are drained. How many liters are left?"
        return q, f"{a} - {b}", Fraction(a - b)

    @family("print_batches")
    def _(rng):
        k, each = rng.randint(3, 97), big(rng)
        q = f"A printer printed {k * each} pages in {k} equal batches. How many pages were in each batch?"
        return q, f"{k * each} // {k}", Fraction(each)

    # Minimal pairs: one story asked two ways, so that writing one operation for every story costs reward.
    # Both halves draw their story through one helper, in the same order.
    def coins(rng: random.Random) -> tuple[str, str, int, int]:
        """(the story, its first name, the larger count, the smaller)."""
        a, b = sorted((big(rng), big(rng)), reverse=True)
        x, y = rng.sample(NAMES, 2)
        return f"{x} has {a} coins and {y} has {b} coins.", x, a, b

    def bottles(rng: random.Random) -> tuple[int, int]:
        return big(rng), rng.randint(3, 999)

    @family("coins_together", pair="coins")
    def _(rng):
        story, _, a, b = coins(rng)
        return f"{story} How many coins do they have together?", f"{a} + {b}", Fraction(a + b)

    @family("coins_more", pair="coins")
    def _(rng):
        story, x, a, b = coins(rng)
        return f"{story} How many more coins does {x} have?", f"{a} - {b}", Fraction(a - b)

    @family("bottles_total", pair="bottles")
    def _(rng):
        each, k = bottles(rng)
        q = f"A machine fills {each} bottles every minute for {k} minutes. How many bottles does it fill?"
        return q, f"{each} * {k}", Fraction(each * k)

    @family("bottles_each", pair="bottles")
    def _(rng):
        each, k = bottles(rng)
        q = f"A machine filled {each * k} bottles in {k} minutes at a steady pace. How many bottles a minute?"
        return q, f"{each * k} // {k}", Fraction(each)

    return fams


FAMILIES = _families()
# Held out: new stories whose operations training covers (a product, a difference, an exact division, a
# price times a count, two stories each), so evaluation measures reading an unseen problem, not inventing an
# unseen operation. Eight families, so that one family's change of operation moves the score by 1/8, not 1/4.
HELD_OUT = (
    "speed_distance",
    "difference",
    "per_day",
    "ticket_revenue",
    "solar_output",
    "server_bill",
    "reservoir",
    "print_batches",
)


def family_split(held_out: tuple[str, ...] = HELD_OUT) -> tuple[list[Family], list[Family]]:
    """(training families, held-out families)."""
    return [f for f in FAMILIES if f.name not in held_out], [f for f in FAMILIES if f.name in held_out]


def generate(n: int, seed: int = 0, families: list[Family] | None = None, prefix: str = "math") -> list[Record]:
    """``n`` problems, round-robin over ``families`` (default: all), deterministic in ``seed``. The k-th problems
    of the two halves of a minimal pair share ``meta["pair"]`` (``"coins-k"``), so a trainer can draw them into
    one step (grpo-core's ``train.group_key``)."""
    fams = families or FAMILIES
    rng = random.Random(seed)
    out = []
    for i in range(n):
        fam = fams[i % len(fams)]
        question, expression, answer = fam.make(rng)
        meta = {"family": fam.name, "gold": show(answer), "program": program(expression)}
        if fam.pair:
            meta["pair"] = f"{fam.pair}-{i // len(fams)}"
        out.append(Record(f"{prefix}-{i}", "synthetic-math", [], [Message("user", question)], [], meta=meta))
    return out


def _probes() -> list[tuple[str, str, str, str]]:
    """SimpleGRPO's generalisation anecdotes, three variants each: (kind, question, program, exact answer)."""
    import datetime

    out = []
    for a, b in (("3.11", "3.9"), ("5.8", "5.12"), ("2.45", "2.5")):
        larger = show(max(Fraction(a), Fraction(b)))
        out.append(("compare_decimals", f"Which number is larger, {a} or {b}?", f"print(max({a}, {b}))", larger))
    for c, w in (("r", "strawberry"), ("a", "banana"), ("s", "mississippi")):
        q = f"How many times does the letter {c} appear in the word {w}?"
        out.append(("count_letter", q, f'print("{w}".count("{c}"))', str(w.count(c))))
    for a, b in (("9.9", "9.11"), ("7.5", "7.25"), ("4.1", "3.95")):
        prog = f'from decimal import Decimal as D\nprint(D("{a}") - D("{b}"))'
        out.append(("decimal_difference", f"What is {a} minus {b}?", prog, show(Fraction(a) - Fraction(b))))
    for s, e in (("2024-02-27", "2024-03-02"), ("2023-12-30", "2024-01-04"), ("2024-06-28", "2024-07-03")):
        days = (datetime.date.fromisoformat(e) - datetime.date.fromisoformat(s)).days
        prog = f'import datetime as dt\nprint((dt.date.fromisoformat("{e}") - dt.date.fromisoformat("{s}")).days)'
        out.append(("days_between", f"How many days are there from {s} to {e}?", prog, str(days)))
    return out


def probes() -> list[Record]:
    """The probe set (12 problems in 4 kinds: 3.11 vs 3.9, counting a letter in a word, a decimal difference, days
    between two dates), each with its exact gold answer and program."""
    return [
        Record(
            f"probe-{i}", "synthetic-math", [], [Message("user", q)], [], meta={"family": k, "gold": g, "program": p}
        )
        for i, (k, q, p, g) in enumerate(_probes())
    ]
