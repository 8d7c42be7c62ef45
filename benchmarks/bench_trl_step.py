"""Seconds per GRPO step and peak memory: our trainer against TRL's ``GRPOTrainer`` on the same work.

Both: SmolLM2-135M-Instruct in fp32 on CPU, the quickstart's prompts (a worked example and the tool list,
~420 tokens each, rendered once by our prompt code and given to TRL as text), 2 prompts x 8 samples x 64 new
tokens, temperature 0.7, KL 1e-3 (so both keep a reference model), lr 1e-6, one optimizer step per rollout
batch, the same reward (Tool-N1 ``fine`` through ``toolcall_reward``; TRL gets it through ``trl_reward``).
Every group is trained on by both (our uniform-group dropping is switched off here). Each trainer runs in its
own process; a step's time is the median over steps after the first. TRL runs twice: with its default
gradient checkpointing and without it (faster here, where memory is not the limit); the ratio is taken against
the faster one. Needs ``trl`` (nox -s bench_train)."""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OVERRIDES = ["rollout.n=8", "train.prompts_per_step=2", "rollout.max_tokens=64", "rollout.temperature=0.7",
             "algo.beta=0.001", "algo.lr=1e-6", "algo.drop_uniform=false", "data.eval_size=0",
             "algo.sft_warmup_steps=0", "data.mask_rate=0"]  # GRPO steps only, the same prompts as TRL  # fmt: skip


def ours(steps: int) -> dict:
    from grpo_core.config import load
    from grpo_core.trainer import Trainer

    with tempfile.TemporaryDirectory() as tmp:
        cfg = load("quickstart", [*OVERRIDES, f"train.steps={steps}", f"train.output_dir={tmp}"])
        trainer = Trainer(cfg)
        times = []
        for _ in range(steps):
            t0 = time.perf_counter()
            m = trainer.train_step()
            times.append(time.perf_counter() - t0)
            print(json.dumps({"step": len(times), "seconds": times[-1], "generate": m["time_generate"],
                              "update": m["time_update"]}), file=sys.stderr, flush=True)  # fmt: skip
    return {"step_seconds": times, "prompt_tokens": None}


def trl(steps: int, checkpointing: bool = True) -> dict:
    import dataclasses

    from datasets import Dataset
    from grpo_core.config import load
    from grpo_core.data import load_records
    from rollout_vllm.models import resolve_model
    from toolcall_reward import RewardConfig, trl_reward
    from toolcall_schema import render_prompt
    from transformers import AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    cfg = load("quickstart", OVERRIDES)
    path = resolve_model(cfg.model.name)
    tok = AutoTokenizer.from_pretrained(path)
    train, _, shots = load_records(cfg.data)
    rows = [{"prompt": render_prompt(r, tok, shots=shots, tool_format=cfg.data.tool_format),
             "record": json.dumps(r.to_dict())} for r in train[: 2 * steps]]  # fmt: skip
    lengths = [len(tok(x["prompt"], add_special_tokens=False)["input_ids"]) for x in rows]
    times: list[float] = []

    class Clock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            self.t0 = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            times.append(time.perf_counter() - self.t0)
            print(json.dumps({"step": len(times), "seconds": times[-1]}), file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        kwargs = dict(output_dir=tmp, per_device_train_batch_size=16, num_generations=8, max_completion_length=64,
                      temperature=0.7, beta=1e-3, learning_rate=1e-6, max_steps=steps, logging_steps=1,
                      report_to=[], save_strategy="no", use_cpu=True, bf16=False, seed=0, disable_tqdm=True,
                      gradient_accumulation_steps=1, gradient_checkpointing=checkpointing)  # fmt: skip
        known = {f.name for f in dataclasses.fields(GRPOConfig)}
        args = GRPOConfig(**{k: v for k, v in kwargs.items() if k in known})
        reward = trl_reward(RewardConfig(reward="fine", match="schema"))
        reward.__name__ = "fine"
        trainer = GRPOTrainer(model=str(path), reward_funcs=[reward], args=args, train_dataset=Dataset.from_list(rows),
                              processing_class=tok, callbacks=[Clock()])  # fmt: skip
        trainer.train()
    return {"step_seconds": times, "prompt_tokens": lengths}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--one", choices=["ours", "trl", "trl-no-checkpointing"])
    ap.add_argument(
        "--only",
        nargs="*",
        default=[],
        help="rerun only these rows, keep the others from --out (--only none: recompute the summary)",
    )
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "bench_trl_step.json"))
    a = ap.parse_args()
    if a.one:
        out = ours(a.steps) if a.one == "ours" else trl(a.steps, checkpointing=a.one == "trl")
        out["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(json.dumps(out))
        return
    rows = {}
    if a.only and Path(a.out).exists():  # keep the other rows of the previous run
        old = json.loads(Path(a.out).read_text())
        rows = {k: old[k] for k in ("ours", "trl", "trl-no-checkpointing") if k in old and k not in a.only}
    for name in ("ours", "trl", "trl-no-checkpointing"):
        if name in rows:
            continue
        cmd = [sys.executable, __file__, "--one", name, "--steps", str(a.steps)]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        r["median_step_seconds"] = statistics.median(r["step_seconds"][1:] or r["step_seconds"])
        rows[name] = r
        print(name, json.dumps(r), flush=True)
    import trl as trl_module

    fastest = min(("trl", "trl-no-checkpointing"), key=lambda k: rows[k]["median_step_seconds"] if k in rows else 1e9)
    ours_s, ours_mem = rows["ours"]["median_step_seconds"], rows["ours"]["peak_rss_gib"]
    result = {
        "work": "SmolLM2-135M fp32, 2 prompts x 8 samples x 64 tokens, KL 1e-3",
        "trl_version": trl_module.__version__,
        **rows,
        "compared_with": fastest,
        "time_ratio": ours_s / rows[fastest]["median_step_seconds"],
        "memory_ratio": ours_mem / rows[fastest]["peak_rss_gib"],
        "time_ratio_vs_trl_default": ours_s / rows["trl"]["median_step_seconds"],
        "memory_ratio_vs_trl_default": ours_mem / rows["trl"]["peak_rss_gib"],
        "target": "time_ratio <= 0.5",
    }
    print(json.dumps(result, indent=1))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
