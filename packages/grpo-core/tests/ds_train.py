"""Run by torchrun (gloo, CPU): a few GRPO steps of a tiny model under DeepSpeed (ZeRO stage: argv[2], default 2)."""

import json
import os
import sys

import torch
import torch.distributed as dist
from grpo_core.config import load
from grpo_core.trainer import fit
from rollout_vllm.testing import byte_tokenizer, tiny_llama
from toolcall_reward import RewardResult, register_reward


@register_reward("test_odd_length")
def odd_length(text, record, cfg):
    return RewardResult(float(len(text) % 2), {}, "ok")


if __name__ == "__main__":
    out, stage = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "2"
    dist.init_process_group("gloo")
    tokenizer = byte_tokenizer()
    model = tiny_llama(tokenizer)
    cfg = load("quickstart", ["data.train_size=12", "data.eval_size=2", "data.shots=0", "rollout.n=4",
                              "rollout.max_tokens=6", "train.prompts_per_step=2", "train.steps=2", "train.save_every=0",
                              f"train.output_dir={out}", "reward.reward=test_odd_length", "algo.lr=1e-3",
                              "algo.beta=0", f"train.deepspeed={stage}", "algo.sft_warmup_steps=0"])  # fmt: skip
    before = [p.detach().clone() for p in model.parameters()]
    fit(cfg, model=model, tokenizer=tokenizer, progress=False)
    changed = any(not torch.equal(b, p.detach()) for b, p in zip(before, model.parameters()))
    print(json.dumps({"rank": dist.get_rank(), "world": dist.get_world_size(), "changed": changed}))
    dist.destroy_process_group()
    os._exit(0)
