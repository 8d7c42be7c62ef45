"""A deterministic synthetic tool-calling generator (the ``quickstart`` data).

Dozens of tool families with typed, enum and optional parameters; single-call, parallel and no-call cases;
distractor tools; and a held-out split by tool family, so evaluation measures calling *unseen* tools.
"""

from __future__ import annotations

import difflib
import random
from collections.abc import Callable
from dataclasses import dataclass

from .model import Message, Record, Tool, ToolCall

CITIES = [
    "Paris",
    "Tokyo",
    "Lima",
    "Oslo",
    "Cairo",
    "Denver",
    "Seoul",
    "Madrid",
    "Nairobi",
    "Sydney",
    "Toronto",
    "Hanoi",
    "Berlin",
    "Quito",
    "Dublin",
    "Mumbai",
]
WORDS = ["apple", "river", "galaxy", "lantern", "harbor", "meadow", "puzzle", "summit", "violet", "canyon"]
NAMES = ["Alice", "Bruno", "Chen", "Dara", "Emil", "Farah", "Goran", "Hana"]


@dataclass(frozen=True)
class Family:
    """One tool and how to ask for it: ``ask(rng)`` → (question, arguments)."""

    tool: Tool
    ask: Callable[[random.Random], tuple[str, dict]]


def _tool(name: str, description: str, props: dict, required: list[str]) -> Tool:
    return Tool(name, description, {"type": "object", "properties": props, "required": required})


def _s(desc: str, **kw) -> dict:
    return {"type": "string", "description": desc, **kw}


def _i(desc: str, **kw) -> dict:
    return {"type": "integer", "description": desc, **kw}


def _n(desc: str, **kw) -> dict:
    return {"type": "number", "description": desc, **kw}


def _b(desc: str, **kw) -> dict:
    return {"type": "boolean", "description": desc, **kw}


COUNTRY_OF = {
    "Paris": "France",
    "Tokyo": "Japan",
    "Lima": "Peru",
    "Oslo": "Norway",
    "Cairo": "Egypt",
    "Seoul": "South Korea",
    "Madrid": "Spain",
    "Nairobi": "Kenya",
    "Sydney": "Australia",
    "Toronto": "Canada",
    "Berlin": "Germany",
    "Dublin": "Ireland",
}
US_CITIES = {"Austin": "TX", "Denver": "CO", "Boston": "MA", "Seattle": "WA", "Miami": "FL", "Chicago": "IL"}


def _adder(fams: list[Family]) -> Callable[[Tool], Callable]:
    """A decorator factory: ``@add(tool)`` over an ``ask`` function appends ``Family(tool, ask)`` to ``fams``."""

    def add(tool: Tool) -> Callable:
        def deco(fn):
            fams.append(Family(tool, fn))
            return fn

        return deco

    return add


def _families() -> list[Family]:
    fams: list[Family] = []
    add = _adder(fams)

    @add(
        _tool(
            "get_weather",
            "Current weather for a city.",
            {
                "city": _s("City name."),
                "units": _s("Temperature units.", enum=["celsius", "fahrenheit"], default="celsius"),
            },
            ["city"],
        )
    )
    def _(r):
        c = r.choice(CITIES)
        if r.random() < 0.5:
            u = r.choice(["celsius", "fahrenheit"])
            return f"What's the weather in {c} right now, in {u}?", {"city": c, "units": u}
        return f"What's the weather like in {c}?", {"city": c}

    @add(
        _tool(
            "convert_currency",
            "Convert money between currencies.",
            {
                "amount": _n("Amount."),
                "source": _s("ISO code to convert from."),
                "target": _s("ISO code to convert to."),
            },
            ["amount", "source", "target"],
        )
    )
    def _(r):
        a, (s, t) = r.choice([20, 75, 150, 999]), r.sample(["USD", "EUR", "JPY", "GBP", "INR"], 2)
        return f"How much is {a} {s} in {t}?", {"amount": a, "source": s, "target": t}

    @add(_tool("get_stock_price", "Latest price of a stock.", {"symbol": _s("Ticker symbol.")}, ["symbol"]))
    def _(r):
        s = r.choice(["AAPL", "MSFT", "NVDA", "TSLA", "AMZN"])
        return f"What is {s} trading at?", {"symbol": s}

    @add(_tool("get_local_time", "Current local time in a city.", {"city": _s("City name.")}, ["city"]))
    def _(r):
        c = r.choice(CITIES)
        return f"What time is it in {c}?", {"city": c}

    @add(
        _tool(
            "translate_text",
            "Translate text.",
            {
                "text": _s("Text to translate."),
                "target_language": _s("Language to translate into.", enum=["French", "Spanish", "German", "Japanese"]),
            },
            ["text", "target_language"],
        )
    )
    def _(r):
        w, lang = r.choice(WORDS), r.choice(["French", "Spanish", "German", "Japanese"])
        return f"Translate '{w}' into {lang}.", {"text": w, "target_language": lang}

    @add(
        _tool(
            "create_event",
            "Add a calendar event.",
            {
                "title": _s("Event title."),
                "date": _s("Date, YYYY-MM-DD."),
                "duration_minutes": _i("Length in minutes.", default=60),
            },
            ["title", "date"],
        )
    )
    def _(r):
        t, d = r.choice(["Dentist", "Team sync", "Yoga", "Lunch"]), f"2025-0{r.randint(1, 9)}-1{r.randint(0, 9)}"
        if r.random() < 0.5:
            m = r.choice([15, 30, 90])
            return f"Put '{t}' on my calendar on {d} for {m} minutes.", {"title": t, "date": d, "duration_minutes": m}
        return f"Put '{t}' on my calendar on {d}.", {"title": t, "date": d}

    @add(
        _tool(
            "search_flights",
            "Find flights.",
            {
                "origin": _s("Departure city."),
                "destination": _s("Arrival city."),
                "passengers": _i("Number of travellers.", default=1),
            },
            ["origin", "destination"],
        )
    )
    def _(r):
        o, d = r.sample(CITIES, 2)
        if r.random() < 0.5:
            p = r.randint(2, 5)
            return f"Find flights from {o} to {d} for {p} people.", {"origin": o, "destination": d, "passengers": p}
        return f"Find me a flight from {o} to {d}.", {"origin": o, "destination": d}

    @add(
        _tool(
            "find_restaurants",
            "Search restaurants.",
            {"city": _s("City."), "cuisine": _s("Kind of food.", enum=["italian", "thai", "mexican", "vegan"])},
            ["city", "cuisine"],
        )
    )
    def _(r):
        c, k = r.choice(CITIES), r.choice(["italian", "thai", "mexican", "vegan"])
        return f"Any good {k} restaurants in {c}?", {"city": c, "cuisine": k}

    @add(
        _tool(
            "convert_units",
            "Convert a length.",
            {
                "value": _n("Value."),
                "from_unit": _s("Unit.", enum=["km", "miles", "m", "feet"]),
                "to_unit": _s("Unit.", enum=["km", "miles", "m", "feet"]),
            },
            ["value", "from_unit", "to_unit"],
        )
    )
    def _(r):
        v, (a, b) = r.choice([3, 10, 42.5, 100]), r.sample(["km", "miles", "m", "feet"], 2)
        return f"Convert {v} {a} to {b}.", {"value": v, "from_unit": a, "to_unit": b}

    @add(_tool("add_numbers", "Add two integers.", {"a": _i("First."), "b": _i("Second.")}, ["a", "b"]))
    def _(r):
        a, b = r.randint(2, 999), r.randint(2, 999)
        return f"What is {a} plus {b}?", {"a": a, "b": b}

    @add(
        _tool(
            "send_email",
            "Send an email.",
            {"to": _s("Recipient name."), "subject": _s("Subject line.")},
            ["to", "subject"],
        )
    )
    def _(r):
        n, s = r.choice(NAMES), r.choice(["Invoice", "Hello", "Meeting notes", "Trip plan"])
        return f"Email {n} with the subject '{s}'.", {"to": n, "subject": s}

    @add(
        _tool(
            "set_reminder",
            "Set a reminder.",
            {"text": _s("What to remind."), "minutes": _i("Minutes from now.")},
            ["text", "minutes"],
        )
    )
    def _(r):
        t, m = r.choice(["call mom", "water plants", "stretch", "check oven"]), r.choice([5, 10, 30, 45])
        return f"Remind me to {t} in {m} minutes.", {"text": t, "minutes": m}

    @add(
        _tool(
            "get_news",
            "Top headlines on a topic.",
            {"topic": _s("Topic."), "count": _i("How many headlines.", default=5)},
            ["topic"],
        )
    )
    def _(r):
        t = r.choice(["science", "football", "economy", "climate"])
        if r.random() < 0.5:
            c = r.choice([3, 7, 10])
            return f"Give me {c} headlines about {t}.", {"topic": t, "count": c}
        return f"What's new in {t}?", {"topic": t}

    @add(
        _tool(
            "track_package",
            "Track a parcel.",
            {"carrier": _s("Carrier.", enum=["UPS", "FedEx", "DHL"]), "tracking_id": _s("Tracking number.")},
            ["carrier", "tracking_id"],
        )
    )
    def _(r):
        c, t = r.choice(["UPS", "FedEx", "DHL"]), f"{r.randint(10000, 99999)}"
        return f"Where is my {c} package {t}?", {"carrier": c, "tracking_id": t}

    @add(_tool("book_hotel", "Book a hotel.", {"city": _s("City."), "nights": _i("Nights.")}, ["city", "nights"]))
    def _(r):
        c, n = r.choice(CITIES), r.randint(1, 9)
        return f"Book a hotel in {c} for {n} nights.", {"city": c, "nights": n}

    @add(_tool("define_word", "Dictionary definition.", {"word": _s("Word.")}, ["word"]))
    def _(r):
        w = r.choice(WORDS)
        return f"What does '{w}' mean?", {"word": w}

    @add(
        _tool(
            "get_distance",
            "Distance between two cities.",
            {
                "origin": _s("From."),
                "destination": _s("To."),
                "mode": _s("Travel mode.", enum=["driving", "walking", "flying"], default="driving"),
            },
            ["origin", "destination"],
        )
    )
    def _(r):
        o, d = r.sample(CITIES, 2)
        if r.random() < 0.5:
            m = r.choice(["walking", "flying"])
            return f"How far is {o} from {d} {m}?", {"origin": o, "destination": d, "mode": m}
        return f"How far is {o} from {d}?", {"origin": o, "destination": d}

    @add(_tool("play_music", "Play a song.", {"song": _s("Song title.")}, ["song"]))
    def _(r):
        s = r.choice(["Yesterday", "Imagine", "Halo", "Clocks"])
        return f"Play {s}.", {"song": s}

    @add(_tool("get_population", "Population of a city.", {"city": _s("City.")}, ["city"]))
    def _(r):
        c = r.choice(CITIES)
        return f"How many people live in {c}?", {"city": c}

    @add(_tool("multiply_numbers", "Multiply two integers.", {"x": _i("First."), "y": _i("Second.")}, ["x", "y"]))
    def _(r):
        x, y = r.randint(2, 99), r.randint(2, 99)
        return f"Multiply {x} by {y}.", {"x": x, "y": y}

    @add(
        _tool(
            "order_taxi",
            "Order a taxi.",
            {"pickup": _s("Pickup address."), "seats": _i("Seats.", default=4)},
            ["pickup"],
        )
    )
    def _(r):
        a = f"{r.randint(1, 200)} {r.choice(['Main St', 'Oak Ave', 'Pine Rd'])}"
        return f"Send a taxi to {a}.", {"pickup": a}

    @add(_tool("check_air_quality", "Air quality index.", {"city": _s("City.")}, ["city"]))
    def _(r):
        c = r.choice(CITIES)
        return f"How is the air quality in {c} today?", {"city": c}

    @add(
        _tool(
            "get_exchange_rate",
            "Exchange rate between currencies.",
            {"base": _s("Base ISO code."), "quote": _s("Quote ISO code.")},
            ["base", "quote"],
        )
    )
    def _(r):
        b, q = r.sample(["USD", "EUR", "JPY", "GBP", "CHF"], 2)
        return f"What's the {b} to {q} exchange rate?", {"base": b, "quote": q}

    @add(
        _tool(
            "find_recipe",
            "Find a recipe.",
            {
                "ingredient": _s("Main ingredient."),
                "diet": _s("Diet.", enum=["any", "vegetarian", "vegan"], default="any"),
            },
            ["ingredient"],
        )
    )
    def _(r):
        i = r.choice(["tofu", "lentils", "pasta", "mushrooms"])
        if r.random() < 0.5:
            d = r.choice(["vegetarian", "vegan"])
            return f"Find a {d} recipe with {i}.", {"ingredient": i, "diet": d}
        return f"Find a recipe with {i}.", {"ingredient": i}

    return fams


def _described_families() -> list[Family]:
    """Tools in the style of real APIs: namespaced names with sibling tools (``geometry.circle_area`` beside
    ``geometry.rectangle_area``), boolean flags, and parameters whose description fixes the value's format
    (``'City, Country'``, upper case, a rate as a decimal, a comma-separated list), so the answer must follow
    the description, not copy the request's words."""
    fams: list[Family] = []
    add = _adder(fams)

    unit_hint = "Unit of the lengths, e.g. 'cm'."

    @add(
        _tool(
            "geometry.circle_area",
            "Area of a circle from its radius.",
            {"radius": _n("Radius of the circle."), "unit": _s(unit_hint, default="m")},
            ["radius"],
        )
    )
    def _(r):
        x, u = r.choice([2, 3.5, 7, 12]), r.choice(["cm", "km", "inches"])
        if r.random() < 0.5:
            return f"What is the area of a circle with a radius of {x} {u}?", {"radius": x, "unit": u}
        return f"Find the area of a circle of radius {x}.", {"radius": x}

    @add(
        _tool(
            "geometry.rectangle_area",
            "Area of a rectangle from its length and width.",
            {"length": _n("Length of the rectangle."), "width": _n("Width of the rectangle.")},
            ["length", "width"],
        )
    )
    def _(r):
        a, b = r.choice([4, 6.5, 10, 25]), r.choice([3, 8, 12.5, 40])
        return f"How big is a rectangle that is {a} long and {b} wide?", {"length": a, "width": b}

    @add(
        _tool(
            "geometry.triangle_area",
            "Area of a triangle from its base and height.",
            {"base": _n("Length of the base."), "height": _n("Height of the triangle.")},
            ["base", "height"],
        )
    )
    def _(r):
        b, h = r.choice([5, 9, 14, 30]), r.choice([2, 6, 11, 20])
        return f"Calculate the area of a triangle with base {b} and height {h}.", {"base": b, "height": h}

    @add(
        _tool(
            "math_tools.factorial",
            "Factorial of a non-negative integer.",
            {"n": _i("The number.")},
            ["n"],
        )
    )
    def _(r):
        n = r.randint(3, 20)
        return f"What is {n} factorial?", {"n": n}

    @add(
        _tool(
            "math_tools.power",
            "Raise a number to a power.",
            {"base": _n("The base."), "exponent": _n("The exponent."), "modulus": _i("Optional modulus.")},
            ["base", "exponent"],
        )
    )
    def _(r):
        b, e = r.randint(2, 12), r.randint(2, 9)
        if r.random() < 0.3:
            m = r.choice([7, 11, 13, 97])
            return f"Compute {b} to the power {e}, modulo {m}.", {"base": b, "exponent": e, "modulus": m}
        return f"What is {b} raised to the power of {e}?", {"base": b, "exponent": e}

    @add(
        _tool(
            "finance.compound_interest",
            "Final balance of an investment with compound interest.",
            {
                "principal": _n("Initial amount."),
                "annual_rate": _n("Yearly interest rate as a decimal, e.g. 0.05 for 5%."),
                "years": _i("Number of years."),
                "monthly": _b("Compound monthly instead of yearly.", default=False),
            },
            ["principal", "annual_rate", "years"],
        )
    )
    def _(r):
        p, pct, y = r.choice([1000, 2500, 10000]), r.choice([2, 3, 4, 5, 8]), r.randint(2, 30)
        args = {"principal": p, "annual_rate": pct / 100, "years": y}
        if r.random() < 0.4:
            args["monthly"] = True
            return f"How much will {p} dollars grow to at {pct}% a year over {y} years, compounded monthly?", args
        return f"I invest {p} dollars at {pct}% interest for {y} years. What will I have?", args

    @add(
        _tool(
            "country_facts.capital",
            "Capital city of a country.",
            {"country": _s("Country name.")},
            ["country"],
        )
    )
    def _(r):
        c = r.choice(sorted(set(COUNTRY_OF.values())))
        return f"What is the capital of {c}?", {"country": c}

    @add(
        _tool(
            "country_facts.currency",
            "Official currency of a country.",
            {"country": _s("Country name.")},
            ["country"],
        )
    )
    def _(r):
        c = r.choice(sorted(set(COUNTRY_OF.values())))
        return f"Which currency do they use in {c}?", {"country": c}

    @add(
        _tool(
            "weather_service.forecast",
            "Weather forecast for the coming days.",
            {
                "location": _s("The place, in the format 'City, Country', e.g. 'Oslo, Norway'."),
                "days": _i("Number of days to forecast.", default=3),
                "hourly": _b("Include an hourly breakdown.", default=False),
            },
            ["location"],
        )
    )
    def _(r):
        c = r.choice(sorted(COUNTRY_OF))
        args: dict = {"location": f"{c}, {COUNTRY_OF[c]}"}
        if r.random() < 0.5:
            args["days"] = r.randint(2, 10)
            if r.random() < 0.5:
                args["hourly"] = True
                return f"Give me an hour-by-hour {args['days']}-day forecast for {c}.", args
            return f"What will the weather be in {c} over the next {args['days']} days?", args
        return f"Will it rain in {c} this week?", args

    @add(
        _tool(
            "rentals.find_apartment",
            "Search apartments to rent.",
            {
                "location": _s("City and state, in the format 'City, ST', e.g. 'Austin, TX'."),
                "bedrooms": _i("Number of bedrooms."),
                "pets_allowed": _b("Only list places that allow pets.", default=False),
            },
            ["location", "bedrooms"],
        )
    )
    def _(r):
        c, n = r.choice(sorted(US_CITIES)), r.randint(1, 4)
        args: dict = {"location": f"{c}, {US_CITIES[c]}", "bedrooms": n}
        if r.random() < 0.5:
            args["pets_allowed"] = True
            return f"Find me a {n}-bedroom apartment in {c} where my dog can live too.", args
        return f"I need a {n}-bedroom place to rent in {c}.", args

    @add(
        _tool(
            "food.change_order",
            "Change the item of a food order.",
            {
                "item": _s("Name of the dish, in upper case letters only, e.g. 'PIZZA'."),
                "quantity": _i("How many.", default=1),
            },
            ["item"],
        )
    )
    def _(r):
        d = r.choice(["burger", "salad", "taco", "ramen", "pasta"])
        if r.random() < 0.5:
            q = r.randint(2, 5)
            return f"Change my order to {q} {d}s, please.", {"item": d.upper(), "quantity": q}
        return f"Actually, I'd like a {d} instead.", {"item": d.upper()}

    @add(
        _tool(
            "code_hosting.compare_repos",
            "Compare activity of code repositories.",
            {
                "repos": _s("Comma-separated repositories in 'owner/name' form, e.g. 'acme/app,acme/lib'."),
                "include_forks": _b("Count forks too.", default=False),
            },
            ["repos"],
        )
    )
    def _(r):
        owners, names = ["acme", "octo", "lumen", "nova"], ["core", "web", "cli", "docs"]
        a, b = f"{r.choice(owners)}/{r.choice(names)}", f"{r.choice(owners)}/{r.choice(names)}"
        if a == b:
            b = b + "-v2"
        if r.random() < 0.4:
            return f"Compare {a} with {b}, forks included.", {"repos": f"{a},{b}", "include_forks": True}
        return f"How do the repositories {a} and {b} compare?", {"repos": f"{a},{b}"}

    return fams


def _all_families() -> list[Family]:
    """Training families first, then the ones held out (:data:`HELD_OUT`)."""
    base = _families()
    held = [f for f in base if f.tool.name in HELD_OUT]
    return [f for f in base if f.tool.name not in HELD_OUT] + _described_families() + held


# Never trained on: evaluation measures calling tools the model has not seen.
HELD_OUT = ("get_population", "multiply_numbers", "order_taxi", "check_air_quality", "get_exchange_rate", "find_recipe")
FAMILIES = _all_families()
UNRELATED = [
    "Tell me a joke about cats.",
    "How are you today?",
    "Write a haiku about autumn.",
    "Who wrote Hamlet?",
    "What is the meaning of life?",
    "Say hello in a friendly way.",
]


def _namespace(family: Family) -> str:
    return family.tool.name.rpartition(".")[0]


def family_split(held_out: tuple[str, ...] = HELD_OUT) -> tuple[list[Family], list[Family]]:
    """(train families, held-out families): the ``held_out`` tools are never trained on."""
    return [f for f in FAMILIES if f.tool.name not in held_out], [f for f in FAMILIES if f.tool.name in held_out]


def generate(
    n: int,
    seed: int = 0,
    families: list[Family] | None = None,
    *,
    parallel: float = 0.2,
    no_call: float = 0.15,
    distractors: int = 2,
    distractor_families: list[Family] | None = None,
    prefix: str = "syn",
    repeat: float = 0.0,
) -> list[Record]:
    """``n`` records from ``families`` (default: all): single calls, ``parallel`` two-call cases and
    ``no_call`` cases (an unrelated request; the right answer is not to call), with distractor tools drawn
    from ``distractor_families`` (default: all). Training records should draw them from the training
    families only: a held-out tool shown as a distractor is a tool the model learns never to call.
    ``repeat``: the share of single-tool requests that ask for the same tool two or three times with other
    values (BFCL's "parallel": "the weather in Paris and Oslo"). 0 draws the records of earlier versions."""
    rng = random.Random(seed)
    fams = families or FAMILIES
    pool = distractor_families or FAMILIES
    out = []
    for i in range(n):
        kind = rng.random()
        picks = rng.sample(fams, 2 if kind < parallel and len(fams) > 1 else 1)
        others = [f for f in pool if f not in picks]
        spaces = {_namespace(p) for p in picks} - {""}
        siblings = [f for f in others if _namespace(f) in spaces]
        if siblings and distractors:  # a namespaced tool is shown beside one of its own kind
            first = rng.choice(siblings)
            others.remove(first)
            chosen = [first, *rng.sample(others, min(distractors - 1, len(others)))]
        else:
            chosen = rng.sample(others, min(distractors, len(others)))
        tools = [f.tool for f in picks] + [f.tool for f in chosen]
        rng.shuffle(tools)
        if kind >= 1 - no_call:
            question, answer = rng.choice(UNRELATED), []
        else:
            times = rng.choice((2, 2, 3)) if repeat and len(picks) == 1 and rng.random() < repeat else 1
            asks = [(f, *ask) for f in picks for ask in _distinct_asks(f, times, rng)]
            question = _merged([q for _, q, _ in asks]) if times > 1 else None
            if question is None:
                question = " Also, ".join(q if j == 0 else q[0].lower() + q[1:] for j, (_, q, _) in enumerate(asks))
            answer = [ToolCall(f.tool.name, args) for f, _, args in asks]
        out.append(
            Record(
                f"{prefix}-{seed}-{i}",
                "synthetic",
                tools,
                [Message("user", question)],
                answer,
                meta={"families": [f.tool.name for f in picks]},
            )
        )
    return out


def _distinct_asks(family: Family, times: int, rng: random.Random) -> list[tuple[str, dict]]:
    """``times`` requests for one tool with different arguments (fewer where the tool has too few values)."""
    asks: list[tuple[str, dict]] = []
    for _ in range(times * 4):
        q, args = family.ask(rng)
        if all(args != a for _, a in asks):
            asks.append((q, args))
        if len(asks) == times:
            break
    return asks


def _merged(questions: list[str]) -> str | None:
    """One request for all of ``questions`` where they differ in a single span of words ("What is AAPL trading
    at?", "What is MSFT trading at?" → "What is AAPL and MSFT trading at?"), else None."""
    end = questions[0][-1] if questions[0][-1] in "?." else ""
    bodies = [q.removesuffix(end).split() for q in questions]
    span = None
    for other in bodies[1:]:
        ops = difflib.SequenceMatcher(None, bodies[0], other, autojunk=False).get_opcodes()
        changed = [op for op in ops if op[0] != "equal"]
        if len(changed) != 1 or changed[0][0] != "replace" or span not in (None, changed[0][1:3]):
            return None
        span = changed[0][1:3]
    if span is None or any(q[-1:] != end[-1:] for q in questions):
        return None
    i, j = span  # the span in the first request; in another it ends as much later as that one is longer
    words = [" ".join(b[i : j + len(b) - len(bodies[0])]) for b in bodies]
    listed = ", ".join(words[:-1]) + " and " + words[-1]
    return " ".join([*bodies[0][:i], listed, *bodies[0][j:]]) + end
