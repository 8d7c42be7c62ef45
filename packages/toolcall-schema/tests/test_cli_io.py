import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from toolcall_schema import (
    RecordError,
    read_jsonl,
    read_parquet,
    synthetic,
    to_dataset,
    to_openai,
    write_jsonl,
    write_parquet,
)
from toolcall_schema.cli import main
from toolcall_schema.io import convert_hub, from_row

ROWS = [
    {
        "id": i,
        "query": f"is {i} prime?",
        "answers": json.dumps([{"name": "is_prime", "arguments": {"n": i}}]),
        "tools": json.dumps(
            [
                {
                    "name": "is_prime",
                    "description": "Prime test.",
                    "parameters": {"n": {"type": "int", "description": "n"}},
                }
            ]
        ),
    }
    for i in range(5)
]


@pytest.fixture
def xlam_file(tmp_path: Path) -> Path:
    rows = list(ROWS)
    rows[2] = {**rows[2], "answers": "[{broken"}
    rows[3] = {**rows[3], "answers": json.dumps([{"name": "nope", "arguments": {}}])}
    p = tmp_path / "xlam.json"
    p.write_text(json.dumps(rows))
    return p


def test_convert_skips_and_summarises_by_reason(xlam_file, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    assert main(["convert", "--from", "xlam", str(xlam_file), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "kept 3 records, skipped 2 items" in text
    assert "skipped #2 id='2'" in text and "skipped #3 id='xlam-3'" in text and "unknown tool 'nope'" in text
    assert len(out.read_text().splitlines()) == 3


def test_strict_stops_at_first_bad_record_and_keeps_existing_output(xlam_file, tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    out.write_text("previous content\n")
    assert main(["convert", "--from", "xlam", str(xlam_file), "-o", str(out), "--strict"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"record #2, id '2', field 'answers': not valid JSON", err)
    assert out.read_text() == "previous content\n"
    assert list(tmp_path.glob(".out.jsonl.*")) == []  # no temporary file left behind


def test_validate_names_file_and_line(tmp_path, capsys):
    good = tmp_path / "g.jsonl"
    write_jsonl(read_jsonl_from_rows(tmp_path), good)
    lines = good.read_text().splitlines()
    bad = json.loads(lines[1])
    bad["messages"][0]["role"] = "narrator"
    (tmp_path / "b.jsonl").write_text("\n".join([lines[0], json.dumps(bad), "{nope"]) + "\n")
    assert main(["validate", str(good)]) == 0
    assert main(["validate", str(tmp_path / "b.jsonl")]) == 1
    out = capsys.readouterr().out
    assert "b.jsonl:2: messages/0/role" in out and "b.jsonl:3: not valid JSON" in out and "1/3 records valid" in out
    with pytest.raises(RecordError, match=r"b.jsonl.*line 2"):
        list(read_jsonl(tmp_path / "b.jsonl"))


def read_jsonl_from_rows(tmp_path):
    p = tmp_path / "rows.json"
    p.write_text(json.dumps(ROWS))
    from toolcall_schema import convert_file

    return list(convert_file("xlam", p))


def test_stats_and_augment_commands(tmp_path, capsys):
    src = tmp_path / "r.jsonl"
    records = read_jsonl_from_rows(tmp_path)
    write_jsonl(records + records[:2], src)
    assert main(["stats", str(src)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["records"] == 7 and stats["calls_per_record"] == {"1": 7}
    out = tmp_path / "aug.jsonl"
    assert main(["augment", str(src), "-o", str(out), "--dedupe", "--mask", "1.0", "--seed", "3"]) == 0
    aug = list(read_jsonl(out))
    assert len(aug) == 10 and sum(r.meta.get("augmented") == "mask" for r in aug) == 5
    two = tmp_path / "two.jsonl"  # records with two or more tools: --mask-tools renames some of them
    write_jsonl(synthetic.generate(6, seed=0, distractors=1), two)
    assert main(["augment", str(two), "-o", str(out), "--mask", "1.0", "--mask-tools", "0.01"]) == 0
    masked = [r for r in read_jsonl(out) if r.meta.get("augmented") == "mask"]
    assert len(masked) == 6 and all(
        sum(t.name.startswith("func_") for t in r.tools) == 1 < len(r.tools) for r in masked
    )
    for bad in ("0", "1.5", "-0.2"):  # a rate outside (0, 1] is refused before anything is written
        with pytest.raises(SystemExit):
            main(["augment", str(two), "-o", str(tmp_path / f"bad{bad}.jsonl"), "--mask", "1", "--mask-tools", bad])
        assert not (tmp_path / f"bad{bad}.jsonl").exists()
    for option, bad in [("--mask", "1.5"), ("--mask", "-0.1"), ("--irrelevance", "2"), ("--irrelevance", "nan")]:
        with pytest.raises(SystemExit):  # the fractions of records to augment: [0, 1]
            main(["augment", str(two), "-o", str(tmp_path / "bad.jsonl"), option, bad])
        assert not (tmp_path / "bad.jsonl").exists()


def test_parquet_dataset_and_openai_exports(tmp_path):
    records = read_jsonl_from_rows(tmp_path)
    assert write_parquet(records, tmp_path / "r.parquet") == 5
    assert list(read_parquet(tmp_path / "r.parquet")) == records
    ds = to_dataset(records)
    assert len(ds) == 5 and [from_row(row) for row in ds] == records
    oa = to_openai(records[0])
    assert oa["tools"][0]["type"] == "function"
    assert json.loads(oa["messages"][-1]["tool_calls"][0]["function"]["arguments"]) == {"n": 0}


def test_hub_loading_path_works_on_local_files(tmp_path):
    p = tmp_path / "rows.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in ROWS))
    records = list(convert_hub("xlam", "json", data_files=str(p)))
    assert [r.answer[0].arguments["n"] for r in records] == [0, 1, 2, 3, 4]


def test_console_script_runs(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "toolcall_schema.cli", "convert", "--help"], capture_output=True, text=True, check=True
    )
    assert "--strict" in proc.stdout and "apibank" in proc.stdout


def test_unknown_format_and_missing_file(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["convert", "--from", "nope", "x"])
    assert main(["convert", "--from", "xlam", str(tmp_path / "missing.json")]) == 2
    assert "missing.json" in capsys.readouterr().err


def test_atomic_write_keeps_old_file_on_failure_and_uses_normal_permissions(tmp_path):
    import os

    from toolcall_schema.io import atomic_write

    path = tmp_path / "out.jsonl"
    path.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as f:
            f.write("partial")
            raise RuntimeError("boom")
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
    umask = os.umask(0)
    os.umask(umask)
    with atomic_write(path) as f:
        f.write("new\n")
    assert path.read_text() == "new\n" and (path.stat().st_mode & 0o777) == (0o666 & ~umask)
