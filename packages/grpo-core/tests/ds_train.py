"""Run by torchrun (gloo, CPU): a tiny model under DeepSpeed (ZeRO stage: argv[2], default 2), one SFT warm-start
step, then two GRPO steps with a KL term against the warm-started reference (reward: argv[3], default
``test_odd_length``). ZeRO-3 runs with ``stage3_param_persistence_threshold = 0``, so every parameter is really
partitioned; the last checkpoint holds the full weights either way."""

import json
import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from grpo_core.config import load
from grpo_core.trainer import fit
from rollout_vllm.testing import byte_tokenizer, tiny_llama
from toolcall_reward import RewardResult, register_reward


@register_reward("test_odd_length")
def odd_length(text, record, cfg):
    return RewardResult(float(len(text) % 2), {}, "ok", correct=bool(len(text) % 2))


@register_reward("test_always_zero")
def always_zero(text, record, cfg):
    return RewardResult(0.0, {}, "ok", correct=False)


def ds_spec(out: Path, stage: str) -> str:
    if stage != "3":
        return stage
    config = {
        "train_micro_batch_size_per_gpu": 1,
        "gradient_accumulation_steps": 1,
        "zero_optimization": {"stage": 3, "stage3_param_persistence_threshold": 0},
        "gradient_clipping": 1.0,
    }
    path = out.with_name(f"{out.name}-zero3.json")
    path.write_text(json.dumps(config))
    return str(path)


if __name__ == "__main__":
    out, stage = Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "2"
    reward = sys.argv[3] if len(sys.argv) > 3 else "test_odd_length"
    dist.init_process_group("gloo")
    torch.manual_seed(0)
    tokenizer = byte_tokenizer()
    model = tiny_llama(tokenizer)
    out.parent.mkdir(parents=True, exist_ok=True)
    spec = ds_spec(out, stage) if dist.get_rank() == 0 else None
    spec = [spec]
    dist.broadcast_object_list(spec, src=0)
    overrides = ["data.train_size=12", "data.eval_size=2", "data.shots=0", "rollout.n=4", "rollout.max_tokens=6"]
    overrides += ["train.prompts_per_step=2", "train.steps=3", "train.save_every=0", f"train.output_dir={out}"]
    overrides += [f"reward.reward={reward}", "algo.lr=1e-3", "algo.beta=0.1", "algo.sft_warmup_steps=1"]
    overrides += [f"train.deepspeed={spec[0]}", "rollout.backend=hf"]
    cfg = load("quickstart", overrides)
    full = sum(p.numel() for p in model.parameters())
    fit(cfg, model=model, tokenizer=tokenizer, progress=False)
    # what this rank holds: under ZeRO-3 its partition (ds_tensor), the full parameter being an empty placeholder
    held = sum(p.ds_tensor.numel() if hasattr(p, "ds_tensor") else p.numel() for p in model.parameters())
    print(json.dumps({"rank": dist.get_rank(), "world": dist.get_world_size(), "held": held, "full": full}))
    dist.destroy_process_group()
    os._exit(0)
