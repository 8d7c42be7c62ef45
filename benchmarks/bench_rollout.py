"""Rollout throughput on SmolLM2-135M-Instruct (CPU): tokens/s of the ``hf`` and ``vllm`` backends on
8 prompts x 8 samples x up to 128 new tokens, and our engine's overhead over raw ``LLM.generate`` on the
same work (same prompts, n, sampling, per-token log-probs). Run by ``nox -s bench_vllm``."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "4")
os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")

QUESTIONS = [
    "Explain how a bicycle gear works.", "Write a short story about a lighthouse keeper.",
    "What are the main causes of inflation?", "Describe the water cycle for a child.",
    "Give three tips for learning a new language.", "Why is the sky blue?",
    "Summarise the plot of Romeo and Juliet.", "How do vaccines train the immune system?",
]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--skip-hf", action="store_true")
    ap.add_argument("--out", default="benchmarks/results/bench_rollout.json")
    args = ap.parse_args()

    from rollout_vllm.core import SamplingConfig
    from rollout_vllm.engine import RolloutEngine
    from rollout_vllm.hf import HFBackend
    from rollout_vllm.vllm_backend import VLLMBackend
    from vllm import SamplingParams

    sampling = SamplingConfig(temperature=0.7, max_tokens=args.max_tokens, seed=0)
    vb = VLLMBackend("smollm2-135m-instruct", seed=0)
    tok = vb.tokenizer
    prompts = [tok.apply_chat_template([{"role": "user", "content": q}], tokenize=False, add_generation_prompt=True)
               for q in QUESTIONS]  # fmt: skip
    ids = [tok(p, add_special_tokens=False)["input_ids"] for p in prompts]
    result: dict = {"prompts": len(prompts), "n": args.n, "max_tokens": args.max_tokens}

    raw_params = SamplingParams(n=args.n, temperature=0.7, max_tokens=args.max_tokens, logprobs=0)
    vb.llm.generate([{"prompt_token_ids": p} for p in ids[:2]], raw_params, use_tqdm=False)  # warm-up
    engine = RolloutEngine(vb)
    raw_rates, ours_rates = [], []
    for _ in range(3):  # interleaved repeats, best of each
        t0 = time.perf_counter()
        outs = vb.llm.generate([{"prompt_token_ids": p} for p in ids], raw_params, use_tqdm=False)
        raw_rates.append(sum(len(c.token_ids) for o in outs for c in o.outputs) / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        samples = engine.generate(ids, args.n, sampling)
        ours_rates.append(sum(len(s.completion_ids) for s in samples) / (time.perf_counter() - t0))
    result["vllm_raw_tokens_per_s"] = round(max(raw_rates), 1)
    result["vllm_engine_tokens_per_s"] = round(max(ours_rates), 1)
    result["engine_overhead_vs_raw"] = round(max(raw_rates) / max(ours_rates) - 1, 4)
    if not args.skip_hf:
        hf = RolloutEngine(HFBackend("smollm2-135m-instruct"))
        t0 = time.perf_counter()
        samples = hf.generate(ids, args.n, sampling)
        result["hf_tokens_per_s"] = round(sum(len(s.completion_ids) for s in samples) / (time.perf_counter() - t0), 1)
        result["vllm_vs_hf"] = round(result["vllm_engine_tokens_per_s"] / result["hf_tokens_per_s"], 2)
    print(json.dumps(result, indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
