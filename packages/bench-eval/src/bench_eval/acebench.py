"""ACEBench normal (AST-scored) and special categories, with ACEBench's own comparison rules.

Normal: the output must call the gold functions (same names and counts); each gold call needs an output call
of that name that passes: every required parameter present, no parameter outside both the schema and the gold
answer, then by value: strings pass when the standardised gold string (lower case, ``,./-_*^`` and spaces
removed) is a substring of the standardised output (ACEBench's substring rule), lists compare element-wise after
the same standardisation, objects compare key by key (same key count, string values by substring), numbers
and booleans by value (``"true"``/``"false"`` read as booleans). Any of the listed gold answers may match.
Special: ACEBench checks fixed phrases its prompt asks for: ``incomplete`` needs "Missing necessary
parameters", the function name and every missing parameter; ``error_param`` needs "There is incorrect value"
and every wrong value; ``irrelevant`` needs "the limitations of the function". Our prompt for these categories
states the same phrases. The rules are ACEBench's for both of its languages: its checker looks for these English
phrases in Chinese (``data_zh``) answers too, and its Chinese prompt asks for them; ours for zh says the same in
Chinese. Agent categories run an environment and are not included.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from toolcall_schema import Record, ToolCall, parse_output

from .core import Benchmark, Scored, mean, register

NORMAL = (
    "normal_atom_bool",
    "normal_atom_enum",
    "normal_atom_list",
    "normal_atom_number",
    "normal_atom_object_deep",
    "normal_atom_object_short",
    "normal_single_turn_single_function",
    "normal_single_turn_parallel_function",
    "normal_similar_api",
    "normal_preference",
    "normal_multi_turn_user_adjust",
    "normal_multi_turn_user_switch",
)
SPECIAL = ("special_incomplete", "special_error_param", "special_irrelevant")
SPECIAL_PROMPT = (
    "If the request lacks a required parameter, call nothing and reply 'Missing necessary parameters (<names>) "
    "for the api (<function name>)'. If a parameter value in the request is wrong, call nothing and reply "
    "'There is incorrect value (<value>) for the parameters (<name>) in the conversation history.'. If no tool "
    "can do it, call nothing and reply 'Due to the limitations of the function, I cannot solve this problem.'"
)
# ACEBench's Chinese prompt asks for the same English phrases, and its checker looks for them in both languages.
SPECIAL_PROMPT_ZH = (
    "如果请求缺少必需的参数，不要调用任何工具，回复 "
    "'Missing necessary parameters (<参数名>) for the api (<函数名>)'。"
    "如果请求中的某个参数值有误，不要调用任何工具，回复 "
    "'There is incorrect value (<值>) for the parameters (<参数名>) in the conversation history.'。"
    "如果没有工具能完成该请求，不要调用任何工具，回复 "
    "'Due to the limitations of the function, I cannot solve this problem.'"
)
# Entries whose gold answer ACEBench's own checker rejects too, by (language, id), with the reason.
KNOWN_QUIRKS = {
    ("zh", "normal_atom_object_short_1"): "the gold call omits 'budget_constraints', which the function requires",
}
_STD = re.compile(r"[ ,./\-_*^]")


def standardize(s: str) -> str:
    return _STD.sub("", s).lower().replace("'", '"')


def _bool(v: Any) -> Any:
    return {"true": True, "false": False}.get(v, v) if isinstance(v, str) else v


def _value_ok(value: Any, gold: Any) -> bool:
    value = _bool(value)
    if isinstance(gold, str):
        return isinstance(value, str) and standardize(gold) in standardize(value)
    if isinstance(gold, bool) or isinstance(value, bool):
        return value is gold
    if isinstance(gold, (int, float)):
        return isinstance(value, (int, float)) and value == gold
    if isinstance(gold, list):
        if not isinstance(value, list) or len(value) != len(gold):
            return False
        if all(isinstance(g, dict) for g in gold):
            return all(_value_ok(v, g) for v, g in zip(value, gold))
        norm = [standardize(x) if isinstance(x, str) else _bool(x) for x in value]
        return norm == [standardize(x) if isinstance(x, str) else x for x in gold]
    if isinstance(gold, dict):
        if not isinstance(value, dict) or len(value) != len(gold) or any(k not in gold for k in value):
            return False
        return all(
            _value_ok(v, gold[k])
            if isinstance(gold[k], (dict, list))
            else str(standardize(gold[k]) if isinstance(gold[k], str) else gold[k])
            in str(standardize(v) if isinstance(v, str) else _bool(v))
            for k, v in value.items()
        )
    return value == gold


def _call_ok(call: ToolCall, gold: ToolCall, params: dict[str, Any]) -> bool:
    props, required = params.get("properties") or {}, params.get("required") or []
    if not call.arguments and not gold.arguments:
        return True
    if any(p not in call.arguments for p in required):
        return False
    for k, v in call.arguments.items():
        if k not in props or k not in gold.arguments or not _value_ok(v, gold.arguments[k]):
            return False
    return True


def normal_valid(calls: list[ToolCall], gold: list[ToolCall], record: Record) -> tuple[bool, str]:
    if sorted(c.name for c in calls) != sorted(g.name for g in gold):
        return False, "wrong_functions"
    tools = {t.name: t.parameters for t in record.tools}
    for g in gold:
        if not any(c.name == g.name and _call_ok(c, g, tools.get(g.name, {})) for c in calls):
            return False, f"wrong_arguments:{g.name}"
    return True, "ok"


@register("acebench")
class ACEBench(Benchmark):
    categories = NORMAL + SPECIAL
    default_categories = NORMAL[:10] + SPECIAL  # multi-turn normal categories are scored per turn when asked

    def load(self, categories=None, data=None, limit=None) -> list[Record]:
        if data is None:
            raise ValueError("acebench: pass --data DIR (ACEBench's data_en or data_zh folder, with possible_answer/)")
        language = "zh" if Path(data).name.endswith("zh") else "en"
        records: list[Record] = []
        for cat in self.resolve(categories):
            path = Path(data) / f"data_{cat}.json"
            if not path.exists():
                raise FileNotFoundError(f"acebench {cat}: {path} not found")
            recs = self.convert("acebench", path, cat)
            for r in recs:
                r.meta["language"] = language
            records.extend(recs[:limit] if limit else recs)
        return records

    def system_prompt(self, record: Record) -> str | None:
        if not self.category(record).startswith("special_"):
            return None
        return SPECIAL_PROMPT_ZH if record.meta.get("language") == "zh" else SPECIAL_PROMPT

    def score(self, record: Record, output: str) -> Scored:
        cat = self.category(record)
        if cat.startswith("special_"):
            ok, why = special_valid(cat, output, record.meta.get("expected_feedback") or {})
            return Scored(record.id, cat, ok, why)
        parsed = parse_output(output, require_think=False, syntax="auto")
        if not parsed.ok or not parsed.calls:
            return Scored(record.id, cat, False, f"decode:{parsed.diagnosis.value}")
        why = "wrong"
        for gold in [record.answer, *(record.answer_alternatives or [])]:
            ok, why = normal_valid(parsed.calls, gold, record)
            if ok:
                return Scored(record.id, cat, True, "ok")
        return Scored(record.id, cat, False, why)

    def summary(self, table: dict[str, dict[str, Any]]) -> dict[str, float]:
        acc = {c: v["accuracy"] for c, v in table.items()}
        out: dict[str, float] = {}
        normal = [acc[c] for c in NORMAL if c in acc]
        special = [acc[c] for c in SPECIAL if c in acc]
        if normal:
            out["normal"] = mean(normal)
        if special:
            out["special"] = mean(special)
        if normal and special:  # ACEBench's summary weights without the agent part, renormalised
            out["overall_no_agent"] = (0.578 * out["normal"] + 0.2676 * out["special"]) / (0.578 + 0.2676)
        return out


def special_valid(category: str, output: str, expected: dict[str, Any]) -> tuple[bool, str]:
    if category == "special_irrelevant":
        ok = "the limitations of the function" in output
        return ok, "ok" if ok else "not_refused"
    phrase = "Missing necessary parameters" if category == "special_incomplete" else "There is incorrect value"
    if phrase not in output:
        return False, "not_detected"
    for name, values in expected.items():
        if category == "special_incomplete" and name not in output:
            return False, "wrong_function_named"
        if any(str(v) not in output for v in values):
            return False, "not_corrected"
    return True, "ok"


def gold_special_output(category: str, expected: dict[str, Any]) -> str:
    """An answer that ACEBench accepts for a special entry (used to check the scorer on gold)."""
    if category == "special_irrelevant":
        return "Due to the limitations of the function, I cannot solve this problem."
    parts = []
    for name, values in expected.items():
        joined = ",".join(map(str, values))
        if category == "special_incomplete":
            parts.append(f"Missing necessary parameters ({joined}) for the api ({name})")
        else:
            parts.append(
                f"There is incorrect value ({joined}) for the parameters ({name}) in the conversation history."
            )
    return " ".join(parts)
