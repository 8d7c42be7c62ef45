"""A deterministic synthetic tool-calling generator (the ``quickstart`` data).

Dozens of tool families with typed, enum and optional parameters; single-call, parallel and no-call cases;
distractor tools; and a held-out split by tool family, so evaluation measures calling *unseen* tools.
"""

from __future__ import annotations

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


def _families() -> list[Family]:
    fams: list[Family] = []

    def add(tool: Tool):
        def deco(fn):
            fams.append(Family(tool, fn))
            return fn

        return deco

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


FAMILIES = _families()
UNRELATED = [
    "Tell me a joke about cats.",
    "How are you today?",
    "Write a haiku about autumn.",
    "Who wrote Hamlet?",
    "What is the meaning of life?",
    "Say hello in a friendly way.",
]


def family_split(held_out: float = 0.25) -> tuple[list[Family], list[Family]]:
    """(train families, held-out families): the last ``held_out`` fraction is never trained on."""
    k = max(1, round(len(FAMILIES) * held_out))
    return FAMILIES[:-k], FAMILIES[-k:]


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
) -> list[Record]:
    """``n`` records from ``families`` (default: all): single calls, ``parallel`` two-call cases and
    ``no_call`` cases (an unrelated request; the right answer is not to call), with distractor tools drawn
    from ``distractor_families`` (default: all). Training records should draw them from the training
    families only: a held-out tool shown as a distractor is a tool the model learns never to call."""
    rng = random.Random(seed)
    fams = families or FAMILIES
    pool = distractor_families or FAMILIES
    out = []
    for i in range(n):
        kind = rng.random()
        picks = rng.sample(fams, 2 if kind < parallel and len(fams) > 1 else 1)
        others = [f for f in pool if f not in picks]
        tools = [f.tool for f in picks] + [f.tool for f in rng.sample(others, min(distractors, len(others)))]
        rng.shuffle(tools)
        if kind >= 1 - no_call:
            question, answer = rng.choice(UNRELATED), []
        else:
            asks = [f.ask(rng) for f in picks]
            question = " Also, ".join(q if j == 0 else q[0].lower() + q[1:] for j, (q, _) in enumerate(asks))
            answer = [ToolCall(f.tool.name, args) for f, (_, args) in zip(picks, asks)]
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
