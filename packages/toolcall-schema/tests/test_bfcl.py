import pytest
from toolcall_schema import ConversionReport, convert_file
from toolcall_schema.converters.bfcl import AST_CATEGORIES, bfcl_category_path, read_json_items, to_bfcl_ground_truth

pytest.importorskip("bfcl_eval", reason="bfcl-eval is not installed")
SCORED = [c for c in AST_CATEGORIES if "relevance" not in c]


def _first(alts, schema, nested=True):
    """Independent reading of BFCL's possible-answer form (one level of nesting, as its checker)."""
    v = alts[0]
    is_map = schema.get("type") == "object" or schema.get("x-bfcl-type") in ("HashMap", "Hashtable")
    if nested and isinstance(v, dict) and is_map and all(isinstance(x, list) for x in v.values()):
        return {k: _first(a, schema.get("properties", {}).get(k, {}), False) for k, a in v.items() if a and a[0] != ""}
    if (
        nested
        and isinstance(v, list)
        and schema.get("items", {}).get("type") == "object"
        and all(isinstance(x, dict) for x in v)
    ):
        props = schema["items"].get("properties", {})
        return [{k: _first(a, props.get(k, {}), False) for k, a in x.items() if a and a[0] != ""} for x in v]
    return v


@pytest.mark.parametrize("category", SCORED)
def test_bfcl_category_converts_without_loss(category):
    path = bfcl_category_path(category)
    truth = {x["id"]: x["ground_truth"] for x in read_json_items(path.parent / "possible_answer" / path.name)}
    report = ConversionReport()
    records = list(convert_file("bfcl", path, report=report))
    assert report.skipped == [] and len(records) == len(truth)
    for r in records:
        assert to_bfcl_ground_truth(r.alternatives) == truth[r.id], r.id
        assert len(r.answer) == len(r.alternatives)
        for call, alt in zip(r.answer, r.alternatives):
            params = r.tool(call.name).parameters
            props, required = params.get("properties", {}), params.get("required", [])
            expected = {}
            for k, a in alt["arguments"].items():
                if a and k in required and a[0] == "" and any(x != "" for x in a):
                    a = [x for x in a if x != ""]  # a required argument takes its first real value
                if a and a[0] != "":
                    expected[k] = _first(a, props.get(k, {}))
            if r.meta["language"] == "python":
                assert call.arguments == expected, r.id
            else:  # Java/JavaScript answers are the source strings a model must write (checked in toolcall-reward)
                assert set(call.arguments) == set(expected) and all(isinstance(v, str) for v in call.arguments.values())
        assert r.meta["category"] == category


@pytest.mark.parametrize("category", ["irrelevance", "live_irrelevance", "live_relevance"])
def test_bfcl_relevance_categories(category):
    records = list(convert_file("bfcl", bfcl_category_path(category)))
    assert records and all(r.answer == [] and r.alternatives is None for r in records)
    assert all(r.meta.get("any_call_is_correct", False) == (category == "live_relevance") for r in records)


def test_bfcl_empty_alternatives_are_kept_and_flagged():
    recs = {r.id: r for r in convert_file("bfcl", bfcl_category_path("live_simple"))}
    r = recs["live_simple_112-68-0"]
    assert r.meta["quirks"] and "acc_routing_start" not in r.answer[0].arguments


def test_bfcl_java_arguments_are_strings():
    r = next(iter(convert_file("bfcl", bfcl_category_path("simple_java"))))
    assert r.meta["language"] == "java"
    assert all(isinstance(v, str) for v in r.answer[0].arguments.values())
