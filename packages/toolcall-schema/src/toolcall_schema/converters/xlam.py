"""xLAM (Salesforce/xlam-function-calling-60k): ``query``, ``tools`` and ``answers`` as JSON strings,
python-style parameter types (``"List[int]"``, ``"str, optional"``) with defaults."""

from __future__ import annotations

from typing import Any

from ..model import Message, Record, Tool, ToolCall
from ..pytypes import pytype_to_schema
from ..validate import RecordError
from ._common import check_known_tools, json_field, object_schema, register


def xlam_tool(t: dict[str, Any]) -> Tool:
    if not isinstance(t, dict) or not isinstance(t.get("name"), str):
        raise RecordError("tool without a string 'name'", field="tools")
    params = t.get("parameters") or {}
    if not isinstance(params, dict):
        raise RecordError(f"tool {t['name']!r}: parameters is not an object", field="tools")
    if params.get("type") in ("object", "dict") and isinstance(params.get("properties"), dict):
        props, required = params["properties"], list(params.get("required", []))
        return Tool(t["name"], t.get("description") or "", object_schema(props, required))
    props, required = {}, []
    for pname, spec in params.items():
        if not isinstance(spec, dict):
            raise RecordError(f"tool {t['name']!r}: parameter {pname!r} is not an object", field="tools")
        schema, optional = pytype_to_schema(spec.get("type", ""))
        if spec.get("description"):
            schema["description"] = spec["description"]
        if "default" in spec:
            schema["default"] = spec["default"]
        props[pname] = schema
        if not optional:
            required.append(pname)
    return Tool(t["name"], t.get("description") or "", object_schema(props, required))


@register("xlam", "Salesforce xLAM function-calling (query/tools/answers JSON strings)")
def convert_xlam(raw: Any, index: int) -> list[Record]:
    query = json_field(raw, "query", str)
    tools = [xlam_tool(t) for t in json_field(raw, "tools", list)]
    answers = json_field(raw, "answers", list)
    calls = []
    for i, a in enumerate(answers):
        if (
            not isinstance(a, dict)
            or not isinstance(a.get("name"), str)
            or not isinstance(a.get("arguments", {}), dict)
        ):
            raise RecordError(f"answer #{i} is not {{name, arguments}}", field="answers")
        calls.append(ToolCall(a["name"], a.get("arguments") or {}))
    rid = str(raw.get("id", index))
    record = Record(f"xlam-{rid}", "xlam", tools, [Message("user", query)], calls)
    check_known_tools(record)
    return [record]
