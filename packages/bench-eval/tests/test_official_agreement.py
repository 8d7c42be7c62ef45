"""Our ``bfcl`` matcher (what ``bench-eval`` scores BFCL with) against BFCL's official ast_checker (from the
bfcl-eval package) on every entry of the ten scored categories: the gold answer and systematic perturbations."""

from __future__ import annotations

import copy
import json
from functools import cache

import pytest
from bench_eval.bfcl import KNOWN_QUIRKS
from bench_eval.cli import main
from bench_eval.official import ast_checker as official_checker
from toolcall_reward.bfcl import match_bfcl
from toolcall_schema import ToolCall, convert_file, format_completion
from toolcall_schema.callsyntax import format_calls
from toolcall_schema.converters.bfcl import bfcl_category_path, category_of, first_arguments, read_json_items

pytest.importorskip("bfcl_eval", reason="bfcl-eval is not installed")

CATEGORIES = [
    "simple_python", "simple_java", "simple_javascript", "multiple", "parallel", "parallel_multiple",
    "live_simple", "live_multiple", "live_parallel", "live_parallel_multiple",
]  # fmt: skip


def official_verdict(raw_functions, calls, ground_truth, language, category) -> bool:
    ast_checker, Language = official_checker()
    lang = {"python": Language.PYTHON, "java": Language.JAVA, "javascript": Language.JAVASCRIPT}[language]
    output = [{c.name: copy.deepcopy(c.arguments)} for c in calls]
    try:
        return bool(ast_checker(copy.deepcopy(raw_functions), output, copy.deepcopy(ground_truth), lang, category,
                                "gorilla-openfunctions-v2")["valid"])  # fmt: skip
    except Exception:  # noqa: BLE001 - the official checker crashes on some malformed outputs: that is a fail
        return False


def _changed(v):
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return v + 1
    if isinstance(v, float):
        return v + 0.5
    if isinstance(v, str):
        return v + "_x" if v else "x"
    if isinstance(v, list):
        return v[:-1] if v else [1]
    if isinstance(v, dict):
        return {**v, "zz_extra": 1} if v else {"k": 1}
    return "x"


def _type_changed(v):
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return int(v) if v.is_integer() else str(v)
    if isinstance(v, str):
        return int(v) if v.lstrip("-").isdigit() else [v]
    if isinstance(v, list):
        return tuple(v) if False else {"items": v}
    return str(v)


def type_swaps(v) -> list:
    """``v`` re-emitted as every other type it can take: int↔float (integral values), bool↔int,
    number↔numeric string, list↔tuple, single value↔one-element list, and a list with its items swapped."""
    if isinstance(v, bool):
        return [int(v), str(v).lower(), [v]]
    if isinstance(v, int):
        return [float(v), str(v), [v]] + ([bool(v)] if v in (0, 1) else [])
    if isinstance(v, float):
        return ([int(v)] if v.is_integer() else []) + [str(v), [v]]
    if isinstance(v, str):
        numeric = v.strip().lstrip("-").replace(".", "", 1).isdigit()
        return ([float(v) if "." in v else int(v)] if numeric else []) + [[v]]
    if isinstance(v, (list, tuple)):
        swapped = [next(iter(type_swaps(x)), x) for x in v]
        return (
            [tuple(v) if isinstance(v, list) else list(v)]
            + ([v[0]] if len(v) == 1 else [])
            + ([swapped] if swapped != list(v) or any(type(a) is not type(b) for a, b in zip(swapped, v)) else [])
        )
    if isinstance(v, dict):
        return [[v]]
    return []


def _case_space(v):
    if isinstance(v, str):
        return v.swapcase().replace(" ", "  ") + " " if v else " "
    if isinstance(v, list):
        return [_case_space(x) for x in v]
    return v


def perturbations(calls: list[ToolCall], alternatives: list[dict]) -> dict[str, list[ToolCall]]:
    """Gold + systematic variants: changed value, dropped/extra argument, swapped order, type change, a type
    swap of every argument (:func:`type_swaps`), string case/spacing, a later acceptable alternative, and a
    renamed function."""

    def edit(index, fn):
        new = [ToolCall(c.name, dict(c.arguments)) for c in calls]
        fn(new[index].arguments)
        return new

    out = {"gold": calls}
    for idx in sorted({0, len(calls) - 1}):
        args = calls[idx].arguments
        keys = list(args)
        tag = f"call{idx}"
        if keys:
            k0, kl = keys[0], keys[-1]
            out[f"{tag}:changed_value"] = edit(idx, lambda a, k=k0: a.__setitem__(k, _changed(a[k])))
            out[f"{tag}:changed_last_value"] = edit(idx, lambda a, k=kl: a.__setitem__(k, _changed(a[k])))
            out[f"{tag}:dropped_arg"] = edit(idx, lambda a, k=kl: a.pop(k))
            out[f"{tag}:type_change"] = edit(idx, lambda a, k=k0: a.__setitem__(k, _type_changed(a[k])))
            out[f"{tag}:case_space"] = edit(idx, lambda a, k=k0: a.__setitem__(k, _case_space(a[k])))
        for k in keys:
            for j, swapped in enumerate(type_swaps(args[k])):
                out[f"{tag}:type_swap:{k}:{j}"] = edit(idx, lambda a, k=k, w=swapped: a.__setitem__(k, w))
        out[f"{tag}:extra_arg"] = edit(idx, lambda a: a.__setitem__("unexpected_argument", 1))
        alts = alternatives[idx]["arguments"]
        later = {k: v[1] for k, v in alts.items() if isinstance(v, list) and len(v) > 1}
        if later:
            k, v = next(iter(later.items()))
            out[f"{tag}:second_alternative"] = edit(
                idx, lambda a, k=k, v=v: a.pop(k) if v == "" else a.__setitem__(k, v)
            )
        out[f"{tag}:renamed"] = [
            ToolCall(c.name + "_v2" if i == idx else c.name, c.arguments) for i, c in enumerate(calls)
        ]
    out["swapped_order"] = list(reversed(calls))
    out["missing_call"] = calls[:-1]
    out["duplicated_call"] = calls + calls[:1]
    return out


@cache
def category_cases(category: str):
    path = bfcl_category_path(category)
    raw = {x["id"]: x for x in read_json_items(path)}
    truth = {x["id"]: x["ground_truth"] for x in read_json_items(path.parent / "possible_answer" / path.name)}
    cases = []
    for record in convert_file("bfcl", path):
        for kind, calls in perturbations(record.answer, record.alternatives).items():
            cases.append((record, kind, calls, raw[record.id]["function"], truth[record.id]))
    return cases


@pytest.mark.parametrize("category", CATEGORIES)
def test_greedy_mode_agrees_with_the_official_checker(category, capsys):
    disagreements, per_entry, swaps = [], {}, 0
    for record, kind, calls, functions, truth in category_cases(category):
        language = record.meta["language"]
        theirs = official_verdict(functions, calls, truth, language, category)
        ours = match_bfcl(calls, record.alternatives, record.tools, language, greedy=True).valid
        per_entry[record.id] = per_entry.get(record.id, 0) + 1
        swaps += ":type_swap:" in kind
        if theirs != ours:
            disagreements.append((record.id, kind, theirs, ours))
    with capsys.disabled():
        print(f"\n{category}: {len(per_entry)} entries, {sum(per_entry.values())} cases ({swaps} type swaps)")
    assert min(per_entry.values()) >= 6  # gold + at least five perturbations per entry
    assert swaps >= len(per_entry) // 2  # most entries have an argument to swap
    assert disagreements == [], f"{len(disagreements)} disagreements, first: {disagreements[:10]}"


@pytest.mark.parametrize("category", ["parallel", "parallel_multiple", "live_parallel", "live_parallel_multiple"])
def test_optimal_mode_differs_only_where_first_fit_pairing_fails(category, capsys):
    listed = []
    for record, kind, calls, _, _ in category_cases(category):
        language = record.meta["language"]
        greedy = match_bfcl(calls, record.alternatives, record.tools, language, greedy=True).valid
        optimal = match_bfcl(calls, record.alternatives, record.tools, language, greedy=False).valid
        if greedy != optimal:
            assert optimal and not greedy, (record.id, kind)  # optimal pairing only ever finds more matches
            listed.append(f"{record.id} [{kind}]: first-fit pairs a gold call with an output another gold call needed")
    with capsys.disabled():
        print(f"\n{category}: {len(listed)} greedy/optimal disagreements" + "".join(f"\n  {x}" for x in listed))


def test_gold_answers_pass_except_known_quirks():
    failing = {}
    for category in CATEGORIES:
        for record, kind, calls, functions, truth in category_cases(category):
            if kind != "gold":
                continue
            ours = match_bfcl(calls, record.alternatives, record.tools, record.meta["language"], True)
            theirs = official_verdict(functions, calls, truth, record.meta["language"], category)
            if not ours.valid:
                failing[record.id] = ours.error
                assert not theirs
    assert set(failing) == set(KNOWN_QUIRKS), failing


def test_first_arguments_helper_is_the_converters():
    assert first_arguments({"a": ["", 1], "b": [2, 3]}, None) == {"b": 2}


def gold_output(record, python_syntax: bool) -> str:
    """The gold answer as a model would write it: Tool-N1 JSON, or BFCL's plain Python call list."""
    cat = record.meta["category"]
    if cat in ("irrelevance", "live_irrelevance"):
        return "<think>No tool fits.</think>\nI cannot help with that using these tools."
    if cat == "live_relevance":
        return format_completion([ToolCall(record.tools[0].name, {})], think="ok")
    if python_syntax:
        return format_calls(record.answer)
    return format_completion(record.answer, think="gold")


@pytest.mark.parametrize("python_syntax", [False, True], ids=["tool_n1_json", "python_calls"])
def test_score_gives_100_percent_on_gold_except_known_quirks(tmp_path, capsys, python_syntax):
    """Every BFCL single-turn category through `bench-eval score`: only the listed quirks fail."""
    cats = [c for c in ("simple_python", "simple_java", "simple_javascript", "multiple", "parallel",
                        "parallel_multiple", "live_simple", "live_multiple", "live_parallel",
                        "live_parallel_multiple", "irrelevance", "live_irrelevance", "live_relevance")
            if not (python_syntax and c in ("simple_java", "simple_javascript"))]  # fmt: skip
    preds = tmp_path / "gold.jsonl"
    with open(preds, "w") as f:
        for cat in cats:
            for r in convert_file("bfcl", bfcl_category_path(cat)):
                f.write(json.dumps({"id": r.id, "output": gold_output(r, python_syntax)}) + "\n")
    assert main(["score", "--benchmark", "bfcl:" + ",".join(cats), "--predictions", str(preds),
                 "-o", str(tmp_path / "run")]) == 0  # fmt: skip
    result = json.loads((tmp_path / "run" / "results.json").read_text())
    failed = {json.loads(x)["id"] for x in open(tmp_path / "run" / "scores.jsonl") if not json.loads(x)["correct"]}
    assert failed == {q for q in KNOWN_QUIRKS if any(q.startswith(c) for c in cats)}
    for cat in cats:
        row = result["categories"][cat]
        assert row["total"] - row["correct"] == sum(category_of(q) == cat for q in failed), cat
    assert set(result["summary"]) == {"non_live", "live", "irrelevance", "relevance", "overall_single_turn"}
    assert (tmp_path / "run" / "report.md").read_text().count("|") > 20


def test_check_official_lists_no_disagreement_on_perturbed_outputs(tmp_path, capsys):
    """`score --check-official` on a mix of right and wrong outputs: entry i gets its i-th perturbation kind."""
    by_entry: dict[str, list] = {}
    for cat in ("simple_python", "parallel_multiple", "live_multiple"):
        for record, _kind, calls, _, _ in category_cases(cat):
            by_entry.setdefault(record.id, []).append(calls)
    preds = tmp_path / "p.jsonl"
    with open(preds, "w") as f:
        for i, (rid, variants) in enumerate(by_entry.items()):
            f.write(json.dumps({"id": rid, "output": format_completion(variants[i % len(variants)], think="t")}) + "\n")
    assert main(["score", "--benchmark", "bfcl:simple_python,parallel_multiple,live_multiple", "--predictions",
                 str(preds), "--check-official"]) == 0  # fmt: skip
    result = json.loads(capsys.readouterr().out)
    assert result["official_disagreements"] == []
    assert sum(v["total"] for v in result["categories"].values()) == len(by_entry)
    assert 0.05 < sum(v["correct"] for v in result["categories"].values()) / len(by_entry) < 0.95  # a real mix


def test_hermes_block_answers_decode_and_score(capsys):
    """Gold answers written as Hermes blocks (one ``<tool_call>{…}</tool_call>`` per call) score like the JSON list."""
    from bench_eval import get_benchmark

    bench, _ = get_benchmark("bfcl:parallel")
    right = 0
    for record in convert_file("bfcl", bfcl_category_path("parallel")):
        blocks = "\n".join(f"<tool_call>{json.dumps(c.to_dict())}</tool_call>" for c in record.answer)
        right += bench.score(record, "<think>several calls</think>\n" + blocks).correct
    assert right == 200 - sum(q.startswith("parallel_") and not q.startswith("parallel_multiple") for q in KNOWN_QUIRKS)
