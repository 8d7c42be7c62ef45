"""``bench-eval run | score | report``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .core import BENCHMARKS, get_benchmark, read_predictions


def cmd_run(a: argparse.Namespace) -> int:
    from .run import generate, write_results

    bench, cats = get_benchmark(a.benchmark, a.strict)
    records = bench.load(cats, a.data, a.limit)
    out = Path(a.output)
    t0 = time.perf_counter()
    info = generate(
        bench,
        records,
        a.model,
        a.backend,
        out,
        max_tokens=a.max_tokens,
        max_step_tokens=a.max_step_tokens,
        batch_size=a.batch_size,
        prompt_from=a.prompt_from,
    )
    info.update(model=a.model, backend=a.backend, wall_seconds=time.perf_counter() - t0)
    result = write_results(bench, records, read_predictions(out / "predictions.jsonl"), out, info, a.check_official)
    print(json.dumps({"summary": result["summary"], "generate_seconds": round(info["generate_seconds"], 1)}))
    return 0


def cmd_score(a: argparse.Namespace) -> int:
    from .run import evaluate, write_results

    bench, cats = get_benchmark(a.benchmark, a.strict)
    records = bench.load(cats, a.data, a.limit)
    predictions = read_predictions(a.predictions)
    if a.output:
        result = write_results(bench, records, predictions, Path(a.output), {"model": a.predictions}, a.check_official)
    else:
        result = evaluate(bench, records, predictions, a.check_official)[1]
    print(json.dumps(result, indent=1))
    return 0


def cmd_report(a: argparse.Namespace) -> int:
    from .report import report

    report(a.runs, a.output)
    print(Path(a.output, "report.md").read_text())
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench-eval", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    names = ", ".join(sorted(BENCHMARKS))

    def common(sp):
        sp.add_argument(
            "--benchmark", required=True, help=f"{names}; categories after ':' (bfcl:simple_python,multiple)"
        )
        sp.add_argument("--data", help="data folder/file (API-Bank, ACEBench, GSM8K; BFCL defaults to bfcl-eval's)")
        sp.add_argument("--limit", type=int, help="first N entries of each category")
        sp.add_argument(
            "--check-official",
            action="store_true",
            help="BFCL: list disagreements with its ast_checker / multi_turn_checker",
        )
        sp.add_argument(
            "--strict", action="store_true", help="stop at the first bad data entry (default: skip it and count it)"
        )

    r = sub.add_parser("run", help="generate with a model, then score")
    common(r)
    r.add_argument(
        "--model",
        required=True,
        help="a grpo-train run directory or checkpoint (scored with the prompt it trained on), an HF folder, a hub id "
        "or smollm2-135m-instruct",
    )
    r.add_argument(
        "--prompt-from",
        help="render prompts as this run directory did (its prompt.json): score a base model as a run was trained",
    )
    r.add_argument("--backend", default="hf", choices=["hf", "vllm"])
    r.add_argument(
        "--max-tokens", type=int, help="completion budget per entry (default 256; bfcl_multi_turn 4096, whole talk)"
    )
    r.add_argument("--max-step-tokens", type=int, help="cap per model message (default: none; bfcl_multi_turn 256)")
    r.add_argument("--batch-size", type=int, default=16)
    r.add_argument("-o", "--output", required=True, help="run folder")
    r.set_defaults(fn=cmd_run)
    s = sub.add_parser("score", help="score a predictions file ({id, output} per line); no model needed")
    common(s)
    s.add_argument("--predictions", required=True)
    s.add_argument("-o", "--output", help="also write a run folder")
    s.set_defaults(fn=cmd_score)
    rp = sub.add_parser("report", help="Markdown + JSON + PNG comparing run folders")
    rp.add_argument("runs", nargs="+")
    rp.add_argument("-o", "--output", default="bench-report")
    rp.set_defaults(fn=cmd_report)
    return p


def main(argv: list[str] | None = None) -> int:
    a = build_parser().parse_args(argv)
    try:
        return a.fn(a)
    except (ValueError, FileNotFoundError, KeyError) as e:
        print(f"bench-eval: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
