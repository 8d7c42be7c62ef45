"""Every benchmark loader on a data folder with one malformed entry among good ones: the entry is skipped with its id
and reason and counted in ``results.json`` and ``report.md``; ``--strict`` stops at it and overwrites nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_eval.cli import main
from bench_eval.core import get_benchmark
from toolcall_schema.converters.bfcl import bfcl_category_path, read_json_items


def _jsonl(path: Path, rows: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows))


def bfcl_data(folder: Path) -> tuple[str, str]:
    src = bfcl_category_path("simple_python")
    good = [x for x in read_json_items(src) if x["id"] in ("simple_python_0", "simple_python_1")]
    truth = [
        x
        for x in read_json_items(src.parent / "possible_answer" / src.name)
        if x["id"] in ("simple_python_0", "simple_python_1", "simple_python_2")
    ]
    no_function = {"id": "simple_python_2", "question": good[0]["question"]}
    _jsonl(folder / src.name, [good[0], "{not json", no_function, good[1]])
    _jsonl(folder / "possible_answer" / src.name, truth)
    return "bfcl:simple_python", "simple_python_2"


def apibank_data(folder: Path) -> tuple[str, str]:
    tool = json.dumps({"name": "GetToday", "description": "d", "input_parameters": {}, "output_parameters": {}})
    good = {
        "file": "GetToday-level-1-1.jsonl",
        "id": 0,
        "instruction": "API descriptions:\n" + tool,
        "input": "User: what day is it?\nGenerate API Request:\n",
        "expected_output": "API-Request: [GetToday()]",
    }
    bad = {**good, "id": 1, "expected_output": "API-Request: [GetToday("}
    (folder / "test-data").mkdir(parents=True)
    (folder / "test-data" / "level-1-api.json").write_text(json.dumps([good, bad, {**good, "id": 2}]))
    return "apibank:level-1", "apibank-GetToday-level-1-1.jsonl-1"


def acebench_data(folder: Path) -> tuple[str, str]:
    tool = {
        "name": "f",
        "description": "d",
        "parameters": {"type": "dict", "properties": {"on": {"type": "boolean"}}, "required": ["on"]},
    }
    other = {**tool, "parameters": {"type": "dict", "properties": {}, "required": []}}
    rows = [
        {"id": "normal_atom_bool_0", "question": "user: turn it on", "function": [tool, tool]},  # merged
        {"id": "normal_atom_bool_1", "question": "user: turn it on", "function": [tool, other]},  # conflicting
        {"id": "normal_atom_bool_2", "question": "user: turn it off", "function": [tool]},
    ]
    _jsonl(folder / "data_normal_atom_bool.json", rows)
    answers = [{"id": r["id"], "ground_truth": {"f": {"on": i != 2}}} for i, r in enumerate(rows)]
    _jsonl(folder / "possible_answer" / "data_normal_atom_bool.json", answers)
    return "acebench:normal_atom_bool", "normal_atom_bool_1"


def math_data(folder: Path) -> tuple[str, str]:
    row = {"id": "q0", "question": "Ann has 3 apples and buys 4 more. How many?", "answer": "3+4=<<3+4=7>>7\n#### 7"}
    folder.mkdir(parents=True)
    _jsonl(folder / "gsm8k.jsonl", [row, {"id": "q1", "question": "no answer"}, {**row, "id": "q2"}])
    return "math:gsm8k", "q1"


LOADERS = {"bfcl": bfcl_data, "apibank": apibank_data, "acebench": acebench_data, "math": math_data}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_a_bad_entry_is_skipped_counted_and_stops_a_strict_run(name, tmp_path, capsys):
    folder = tmp_path / "data"
    spec, bad_id = LOADERS[name](folder)
    data = folder / "gsm8k.jsonl" if name == "math" else folder
    preds, out = tmp_path / "p.jsonl", tmp_path / "run"
    preds.write_text("")
    args = ["score", "--benchmark", spec, "--data", str(data), "--predictions", str(preds), "-o", str(out)]
    bench, cats = get_benchmark(spec)
    records = bench.load(cats, str(data))
    assert len(records) == 2 and bad_id not in {r.id for r in records}
    _jsonl(preds, [{"id": r.id, "output": "no answer"} for r in records])
    assert main(args) == 0
    result = json.loads((out / "results.json").read_text())
    skipped = result["skipped"]
    assert skipped["count"] == len(skipped["entries"]) >= 1
    assert bad_id in {e["id"] for e in skipped["entries"]} and all(e["reason"] for e in skipped["entries"])
    assert bad_id in (out / "report.md").read_text()
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    assert main([*args, "--strict"]) == 2  # stops at the bad entry, naming it; the run folder is untouched
    err = capsys.readouterr().err
    assert "error" in err and (bad_id in err or "line 2" in err), err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
