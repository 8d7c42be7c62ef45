"""Convert + validate throughput of toolcall-schema on xLAM-shaped records.

Generates N deterministic rows in the exact shape of Salesforce/xlam-function-calling-60k (``tools`` and
``answers`` as JSON strings, python-style types, optional markers, defaults), writes them as one JSON file,
then times ``convert_file("xlam", ...)`` with JSON Schema validation of every record, and JSONL export.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from toolcall_schema import ConversionReport, convert_file, write_jsonl

TYPES = [
    ("str", "x"),
    ("int", 3),
    ("float", 2.5),
    ("bool", True),
    ("List[int]", [1, 2]),
    ("Dict[str, Any]", {"k": 1}),
    ("str, optional", "y"),
    ("int, optional", 7),
    ("List[str]", ["a"]),
]


def make_row(i: int, rng: random.Random) -> dict:
    tools, answers = [], []
    for t in range(rng.randint(1, 4)):
        params = {}
        for p in range(rng.randint(1, 5)):
            typ, example = rng.choice(TYPES)
            spec = {"description": f"Parameter {p} of tool {t}.", "type": typ}
            if rng.random() < 0.4:
                spec["default"] = example
            params[f"p{p}"] = spec
        name = f"tool_{i % 500}_{t}"
        tools.append({"name": name, "description": f"Tool {t} for row {i}.", "parameters": params})
        if rng.random() < 0.7 or not answers:
            answers.append({"name": name, "arguments": {k: TYPES[0][1] for k in list(params)[:2]}})
    return {
        "id": i,
        "query": f"Request number {i}: please do the thing.",
        "answers": json.dumps(answers),
        "tools": json.dumps(tools),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--out", default="benchmarks/results/bench_schema.json")
    args = ap.parse_args()
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "xlam.json"
        src.write_text(json.dumps([make_row(i, rng) for i in range(args.n)]))
        report = ConversionReport()
        t0 = time.perf_counter()
        records = list(convert_file("xlam", src, report=report))
        t_convert = time.perf_counter() - t0
        t0 = time.perf_counter()
        list(convert_file("xlam", src, validate=False))
        t_noval = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_jsonl(records, Path(tmp) / "out.jsonl")
        t_write = time.perf_counter() - t0
    result = {
        "records": len(records),
        "skipped": len(report.skipped),
        "convert_validate_s": round(t_convert, 2),
        "records_per_s": round(len(records) / t_convert),
        "convert_only_records_per_s": round(len(records) / t_noval),
        "jsonl_write_records_per_s": round(len(records) / t_write),
    }
    print(json.dumps(result, indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
