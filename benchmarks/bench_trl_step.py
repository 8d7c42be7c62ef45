"""Seconds per GRPO step and peak memory: our trainer against TRL's ``GRPOTrainer`` on the same work.

Both: SmolLM2-135M-Instruct in fp32 on CPU, the quickstart's prompts (a worked example and the tool list,
~420 tokens each, rendered once by our prompt code and given to TRL as text), 2 prompts x 8 samples x 64 new
tokens, temperature 0.7, KL 1e-3 (so both keep a reference model), lr 1e-6, one optimizer step per rollout
batch, the same reward (Tool-N1 ``fine`` through ``toolcall_reward``; TRL gets it through ``trl_reward``).
Every group is trained on by both (our uniform-group dropping is switched off here). Each trainer runs in its
own process; a step's time is the median over steps after the first. TRL runs in three configurations (its
default: one micro-batch of 16 with gradient checkpointing; the same without checkpointing; and its fastest here:
no checkpointing, micro-batches of 8 with gradient accumulation 2); the ratio is taken against the fastest of
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


# TRL's configurations: (micro-batch, gradient accumulation, gradient checkpointing); each rollout batch is 16
TRL_CONFIGS = {"trl": (16, 1, True), "trl-no-checkpointing": (16, 1, False), "trl-fastest": (8, 2, False)}
ROWS = ("ours", *TRL_CONFIGS)


def trl(steps: int, name: str = "trl") -> dict:
    import dataclasses

    from datasets import Dataset
    from grpo_core.config import load
    from grpo_core.data import load_records
    from rollout_vllm.models import resolve_model
    from rollout_vllm.tasks import PromptSpec, get_task
    from toolcall_reward import RewardConfig, trl_reward
    from transformers import AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    cfg = load("quickstart", OVERRIDES)
    path = resolve_model(cfg.model.name)
    tok = AutoTokenizer.from_pretrained(path)
    train, _, shots = load_records(cfg.data)
    task = get_task(cfg.rollout.env, tools=cfg.rollout.tools, think=cfg.rollout.think)
    task.bind(tok)  # the prompts exactly as our trainer renders them: same task, worked example and tool format
    worked = [(x, "".join(text for text, _ in task.solution(x))) for x in shots]
    spec = PromptSpec(cfg.rollout.env, cfg.data.tool_format, worked, cfg.rollout.think)
    rows = [{"prompt": spec.render(r, tok, task=task), "record": json.dumps(r.to_dict())} for r in train[: 2 * steps]]
    lengths = [len(tok(x["prompt"], add_special_tokens=False)["input_ids"]) for x in rows]
    times: list[float] = []

    class Clock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            self.t0 = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            times.append(time.perf_counter() - self.t0)
            print(json.dumps({"step": len(times), "seconds": times[-1]}), file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        micro, accumulation, checkpointing = TRL_CONFIGS[name]
        kwargs = dict(output_dir=tmp, per_device_train_batch_size=micro, num_generations=8, max_completion_length=64,
                      temperature=0.7, beta=1e-3, learning_rate=1e-6, max_steps=steps, logging_steps=1,
                      report_to=[], save_strategy="no", use_cpu=True, bf16=False, seed=0, disable_tqdm=True,
                      gradient_accumulation_steps=accumulation, gradient_checkpointing=checkpointing,
                      generation_batch_size=16)  # fmt: skip
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
    ap.add_argument("--steps", type=int, default=4, help="steps per trainer; the median is over steps 2 onwards")
    ap.add_argument("--one", choices=ROWS)
    ap.add_argument("--rows", nargs="*", default=list(ROWS), choices=ROWS, help="what this run measures (ours always)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "bench_trl_step.json"))
    a = ap.parse_args()
    if a.one:
        out = ours(a.steps) if a.one == "ours" else trl(a.steps, a.one)
        out["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(json.dumps(out))
        return
    rows: dict[str, dict] = {}  # every row of the result comes from this run: ratios within one run only
    for name in dict.fromkeys(["ours", *a.rows]):
        cmd = [sys.executable, __file__, "--one", name, "--steps", str(a.steps)]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        r["median_step_seconds"] = statistics.median(r["step_seconds"][1:] or r["step_seconds"])
        rows[name] = r
        print(name, json.dumps(r), flush=True)
    import trl as trl_module

    fastest = min((k for k in TRL_CONFIGS if k in rows), key=lambda k: rows[k]["median_step_seconds"])
    ours_s, ours_mem = rows["ours"]["median_step_seconds"], rows["ours"]["peak_rss_gib"]
    result = {
        "work": "SmolLM2-135M fp32, 2 prompts x 8 samples x 64 tokens, KL 1e-3",
        "trl_version": trl_module.__version__,
        **rows,
        "compared_with": fastest,
        "time_ratio": ours_s / rows[fastest]["median_step_seconds"],
        "memory_ratio": ours_mem / rows[fastest]["peak_rss_gib"],
        "target": "time_ratio <= 0.20 (ours against TRL's fastest configuration, same run, same work)",
    }
    for name in TRL_CONFIGS:
        if name in rows:
            result[f"time_ratio_vs_{name}"] = ours_s / rows[name]["median_step_seconds"]
    print(json.dumps(result, indent=1))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
