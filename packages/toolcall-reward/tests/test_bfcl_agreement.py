"""Our ``bfcl`` matcher against BFCL's official ast_checker (from the bfcl-eval package) on every entry of
the ten scored categories: the gold answer and systematic perturbations of it."""

from __future__ import annotations

import copy
import sys
import types
from functools import cache

import pytest
from toolcall_reward.bfcl import match_bfcl
from toolcall_schema import ToolCall, convert_file
from toolcall_schema.converters.bfcl import bfcl_category_path, first_arguments, read_json_items

pytest.importorskip("bfcl_eval", reason="bfcl-eval is not installed")

CATEGORIES = [
    "simple_python", "simple_java", "simple_javascript", "multiple", "parallel", "parallel_multiple",
    "live_simple", "live_multiple", "live_parallel", "live_parallel_multiple",
]  # fmt: skip


@cache
def official():
    """BFCL's ast_checker, importable once its model registry (which pulls every API client) is stubbed."""

    class _Cfg:
        underscore_to_dot = False

    class _Mapping(dict):
        def __missing__(self, key):
            return _Cfg()

    stub = types.ModuleType("bfcl_eval.constants.model_config")
    stub.MODEL_CONFIG_MAPPING = _Mapping()
    sys.modules.setdefault("bfcl_eval.constants.model_config", stub)
    from bfcl_eval.constants.enums import Language
    from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker

    return ast_checker, Language


def official_verdict(raw_functions, calls, ground_truth, language, category) -> bool:
    ast_checker, Language = official()
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


def _case_space(v):
    if isinstance(v, str):
        return v.swapcase().replace(" ", "  ") + " " if v else " "
    if isinstance(v, list):
        return [_case_space(x) for x in v]
    return v


def perturbations(calls: list[ToolCall], alternatives: list[dict]) -> dict[str, list[ToolCall]]:
    """Gold + systematic variants: changed value, dropped/extra argument, swapped order, type change,
    string case/spacing, a later acceptable alternative, and a renamed function."""

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
def test_greedy_mode_agrees_with_the_official_checker(category):
    disagreements, per_entry = [], {}
    for record, kind, calls, functions, truth in category_cases(category):
        language = record.meta["language"]
        theirs = official_verdict(functions, calls, truth, language, category)
        ours = match_bfcl(calls, record.alternatives, record.tools, language, greedy=True).valid
        per_entry[record.id] = per_entry.get(record.id, 0) + 1
        if theirs != ours:
            disagreements.append((record.id, kind, theirs, ours))
    assert min(per_entry.values()) >= 6  # gold + at least five perturbations per entry
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


# Entries whose possible answers no output can satisfy under the official checker (it rejects our gold too).
KNOWN_QUIRKS = {
    "simple_java_36": "ArrayList items typed 'any' are read as strings, but the possible answer holds 42 and true",
    "simple_java_64": "HashMap possible answer is a plain dict whose values are not lists of alternatives",
    "simple_java_65": "ArrayList items typed 'any' are read as strings, but the possible answer holds true",
    "parallel_multiple_26": "possible answer passes 'type', which is a nested property, not a parameter",
    "live_simple_106-63-0": "required parameters whose list of acceptable values is empty",
    "live_simple_112-68-0": "required parameters whose list of acceptable values is empty",
    "live_multiple_507-149-4": "required 'origin_airport' accepts only '' (omitted)",
    "live_multiple_862-181-3": "possible answer uses '_from' where the function declares 'from'",
    "live_multiple_964-207-0": "a required parameter is missing from the possible answer",
}


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
