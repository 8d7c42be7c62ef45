"""``rollout-vllm generate``: sample completions for records and write them as JSONL."""

from __future__ import annotations

import argparse
import json
import sys

from toolcall_schema import RecordError, read_jsonl
from toolcall_schema.io import atomic_write
from tqdm import tqdm

from .core import SamplingConfig
from .engine import RolloutEngine, make_backend
from .tasks import TASKS, get_task


def cmd_generate(a: argparse.Namespace) -> int:
    records = list(read_jsonl(a.data))
    if a.limit:
        records = records[: a.limit]
    sampling = SamplingConfig(
        temperature=a.temperature, top_p=a.top_p, max_tokens=a.max_tokens, max_turns=a.max_turns, seed=a.seed
    )
    engine = RolloutEngine(make_backend(a.model, a.backend))
    task = get_task(a.env, tools=a.tools, coder_model=a.coder_model)
    env = task.make_env(engine, sampling)
    tok = engine.tokenizer
    n_written = 0
    with (
        atomic_write(a.output) as out,
        tqdm(total=len(records) * a.n, desc="generate", unit=" sample", disable=None, file=sys.stderr) as bar,
    ):
        for start in range(0, len(records), a.batch):
            batch = records[start : start + a.batch]
            prompts = [task.prompt(r, tok) for r in batch]
            for s in engine.generate(prompts, a.n, sampling, env=env):
                row = {
                    "id": batch[s.prompt_index].id,
                    "sample": s.sample_index,
                    "completion": s.response,
                    "finish_reason": s.finish_reason,
                    "truncated": s.truncated,
                    "tool_rounds": s.tool_rounds,
                    "completion_tokens": len(s.completion_ids),
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                n_written += 1
            bar.update(len(batch) * a.n)
    print(f"wrote {n_written} completions to {a.output}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rollout-vllm", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="sample completions for a records JSONL file")
    g.add_argument("--model", required=True, help="smollm2-135m-instruct, a local HF directory or a hub id")
    g.add_argument("--data", required=True, help="records JSONL (toolcall-schema)")
    g.add_argument("--n", type=int, default=8, help="samples per record")
    g.add_argument("--temperature", type=float, default=0.7)
    g.add_argument("--top-p", type=float, default=1.0)
    g.add_argument("--max-tokens", type=int, default=256)
    g.add_argument("--max-turns", type=int, default=4)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--backend", choices=["hf", "vllm"], default="hf")
    g.add_argument("--env", choices=sorted(TASKS), default="function_call", help="the task (rollout_vllm.tasks)")
    g.add_argument("--tools", help="tools task: MODULE:DICT of callables")
    g.add_argument(
        "--coder-model",
        default="same",
        help="coder env: the separate frozen coder, a path or hub id ('same': a copy of --model, HF backend only)",
    )
    g.add_argument("--batch", type=int, default=8, help="records per generation batch")
    g.add_argument("--limit", type=int, default=0, help="use only the first N records")
    g.add_argument("-o", "--output", required=True)
    g.set_defaults(fn=cmd_generate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except (RecordError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
