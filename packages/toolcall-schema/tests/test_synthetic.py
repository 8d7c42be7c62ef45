from toolcall_schema import synthetic, validate_record


def test_generator_is_deterministic_valid_and_mixed():
    a, b = synthetic.generate(200, seed=3), synthetic.generate(200, seed=3)
    assert a == b and a != synthetic.generate(200, seed=4)
    for r in a:
        validate_record(r)
        assert {c.name for c in r.answer} <= r.tool_names
    kinds = {len(r.answer) for r in a}
    assert kinds == {0, 1, 2}
    assert len(synthetic.FAMILIES) >= 36


def test_described_families_state_value_formats_and_show_a_sibling():
    by_name = {f.tool.name: f for f in synthetic.FAMILIES}
    train, test = synthetic.family_split()
    assert {f.tool.name for f in test} == set(synthetic.HELD_OUT) and len(train) == len(synthetic.FAMILIES) - 6
    records = synthetic.generate(300, seed=2, families=[by_name["weather_service.forecast"]], no_call=0, parallel=0)
    locations = {r.answer[0].arguments["location"] for r in records}
    assert "Oslo, Norway" in locations and all(", " in loc for loc in locations)  # the description's format
    assert any(r.answer[0].arguments.get("hourly") is True for r in records)
    fams = [by_name["geometry.circle_area"], by_name["geometry.triangle_area"], by_name["get_weather"]]
    records = synthetic.generate(100, seed=3, families=fams, distractors=1, distractor_families=fams, no_call=0)
    geometry = [r for r in records if len(r.answer) == 1 and r.answer[0].name.startswith("geometry.")]
    assert len(geometry) > 30  # each shown beside the other geometry tool, never get_weather
    assert all({t.name for t in r.tools} == {"geometry.circle_area", "geometry.triangle_area"} for r in geometry)


def test_held_out_families_never_appear_in_training_answers():
    train, test = synthetic.family_split()
    assert not {f.tool.name for f in train} & {f.tool.name for f in test}
    records = synthetic.generate(300, seed=0, families=train)
    held = {f.tool.name for f in test}
    assert not any(c.name in held for r in records for c in r.answer)


def test_distractors_come_from_the_pool_they_are_given():
    train, test = synthetic.family_split()
    held = {f.tool.name for f in test}
    shown = [t.name for r in synthetic.generate(300, seed=0, families=train, distractors=2) for t in r.tools]
    assert held & set(shown)  # by default a held-out tool can be shown as a distractor
    kept = synthetic.generate(300, seed=0, families=train, distractors=2, distractor_families=train)
    assert not held & {t.name for r in kept for t in r.tools}
    assert all(len(r.tools) == len(r.answer or [None]) + 2 for r in kept)


def test_optional_arguments_are_sometimes_given_and_sometimes_defaulted():
    records = synthetic.generate(400, seed=1, families=[f for f in synthetic.FAMILIES if f.tool.name == "get_weather"],
                                 parallel=0, no_call=0)  # fmt: skip
    with_units = sum("units" in r.answer[0].arguments for r in records)
    assert 100 < with_units < 300


def test_repeat_asks_for_one_tool_several_times_in_one_request():
    train, _ = synthetic.family_split()
    plain = synthetic.generate(300, seed=5, families=train)
    assert plain == synthetic.generate(300, seed=5, families=train, repeat=0.0)  # the records of earlier versions
    assert not any(len(r.answer) > 1 and len({c.name for c in r.answer}) == 1 for r in plain)
    records = synthetic.generate(300, seed=5, families=train, repeat=0.5)
    repeated = [r for r in records if len(r.answer) > 1 and len({c.name for c in r.answer}) == 1]
    assert 40 < len(repeated) < 150 and {len(r.answer) for r in repeated} == {2, 3}
    for r in repeated:
        validate_record(r)
        args = [c.arguments for c in r.answer]
        assert all(a != b for i, a in enumerate(args) for b in args[i + 1 :])  # other values each time
    merged = [r for r in repeated if " Also, " not in r.messages[-1].content]
    assert len(merged) > 10 and all(" and " in r.messages[-1].content for r in merged)


def test_requests_that_differ_in_one_span_are_merged_into_one():
    q = ["What is AAPL trading at?", "What is MSFT trading at?", "What is NVDA trading at?"]
    assert synthetic._merged(q[:2]) == "What is AAPL and MSFT trading at?"
    assert synthetic._merged(q) == "What is AAPL, MSFT and NVDA trading at?"
    assert synthetic._merged(["Play Halo.", "Play Hey Jude."]) == "Play Halo and Hey Jude."
    assert synthetic._merged(["Translate 'a' into French.", "Translate 'b' into German."]) is None  # two spans
    assert synthetic._merged(["What is 3 factorial?", "What is 3 factorial? Now."]) is None  # not a replacement
