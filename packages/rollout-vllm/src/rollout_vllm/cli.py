"""``rollout-vllm generate``: sample completions for records and write them as JSONL."""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from toolcall_schema import RecordError, read_jsonl, render_prompt
from toolcall_schema.io import atomic_write
from tqdm import tqdm

from .core import SamplingConfig
from .engine import RolloutEngine, make_backend
from .envs import CoderEnv, FunctionCallEnv, PythonEnv, ToolsEnv
from .prompts import CODER_SYSTEM, math_messages
from .sandbox import Sandbox


def _load_tools(spec: str | None) -> dict:
    if not spec or ":" not in spec:
        raise ValueError("--env tools needs --tools MODULE:DICT naming a dict of callables")
    module, name = spec.split(":", 1)
    tools = getattr(importlib.import_module(module), name)
    if not isinstance(tools, dict):
        raise ValueError(f"{spec} is not a dict of callables")
    return tools


def make_env(name: str, engine: RolloutEngine, sampling: SamplingConfig, tools: str | None = None):
    if name == "function_call":
        return FunctionCallEnv()
    if name == "python":
        return PythonEnv(Sandbox())
    if name == "coder":
        coder_sampling = SamplingConfig(temperature=0.0, max_tokens=256, seed=sampling.seed)

        def coder(request: str) -> str:
            msgs = [{"role": "system", "content": CODER_SYSTEM}, {"role": "user", "content": request}]
            prompt = engine.tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
            return engine.generate([prompt], 1, coder_sampling, env=FunctionCallEnv())[0].text

        return CoderEnv(coder, Sandbox())
    if name == "tools":
        return ToolsEnv(_load_tools(tools))
    raise ValueError(f"unknown env {name!r}")


def cmd_generate(a: argparse.Namespace) -> int:
    records = list(read_jsonl(a.data))
    if a.limit:
        records = records[: a.limit]
    sampling = SamplingConfig(temperature=a.temperature, top_p=a.top_p, max_tokens=a.max_tokens,
                              max_turns=a.max_turns, seed=a.seed)  # fmt: skip
    engine = RolloutEngine(make_backend(a.model, a.backend))
    env = make_env(a.env, engine, sampling, a.tools)
    tok = engine.tokenizer
    n_written = 0
    with atomic_write(a.output) as out, tqdm(total=len(records) * a.n, desc="generate", unit=" sample",
                                             disable=None, file=sys.stderr) as bar:  # fmt: skip
        for start in range(0, len(records), a.batch):
            batch = records[start : start + a.batch]
            if a.env in ("python", "coder"):
                prompts = [tok.apply_chat_template(math_messages(r, a.env), tokenize=False, add_generation_prompt=True)
                           for r in batch]  # fmt: skip
            else:
                prompts = [render_prompt(r, tok) for r in batch]
            for s in engine.generate(prompts, a.n, sampling, env=env):
                row = {"id": batch[s.prompt_index].id, "sample": s.sample_index, "completion": s.response,
                       "finish_reason": s.finish_reason, "truncated": s.truncated, "tool_rounds": s.tool_rounds,
                       "completion_tokens": len(s.completion_ids)}  # fmt: skip
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
    g.add_argument("--env", choices=["function_call", "python", "coder", "tools"], default="function_call")
    g.add_argument("--tools", help="tools env: MODULE:DICT of callables")
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
