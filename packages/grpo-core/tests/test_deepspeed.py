"""DeepSpeed ZeRO across two CPU ranks (torchrun, gloo): each rank generates for its own prompts, gradients
are reduced, both ranks end with the same updated weights, and ZeRO-3 (parameters really partitioned) ends where
ZeRO-2 does, through an SFT warm start, the switch of the KL reference to the warm-started policy and GRPO."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip("deepspeed", reason="install grpo-core[deepspeed]")
from rollout_vllm.testing import byte_tokenizer, tiny_llama  # noqa: E402
from safetensors.torch import load_file  # noqa: E402


def two_ranks(out: Path, stage: str, port: int, reward: str = "test_odd_length") -> list[dict]:
    torchrun = shutil.which("torchrun") or str(Path(sys.executable).parent / "torchrun")
    env = {**os.environ, "DS_BUILD_OPS": "0", "OMP_NUM_THREADS": "1", "MASTER_ADDR": "127.0.0.1"}
    script = str(Path(__file__).with_name("ds_train.py"))
    cmd = [torchrun, "--nproc_per_node", "2", "--master_port", str(port), script, str(out), stage, reward]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    ranks = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert sorted(r["rank"] for r in ranks) == [0, 1] and all(r["world"] == 2 for r in ranks)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["mode"] for r in rows if "mode" in r] == ["sft", "grpo", "grpo"]
    assert [r["step"] for r in rows if "reward_mean" in r] == [2, 3]
    return ranks


def test_two_rank_zero2_and_zero3_runs_end_with_the_same_weights(tmp_path, free_port):
    torch.manual_seed(0)
    start = tiny_llama(byte_tokenizer()).state_dict()
    zero2 = two_ranks(tmp_path / "zero2", "2", free_port())
    zero3 = two_ranks(tmp_path / "zero3", "3", free_port())
    assert all(r["held"] == r["full"] for r in zero2)
    assert all(r["held"] <= r["full"] / 2 + 64 for r in zero3), zero3  # really partitioned: each rank holds half
    w2 = load_file(str(tmp_path / "zero2" / "checkpoint-3" / "model" / "model.safetensors"))
    w3 = load_file(str(tmp_path / "zero3" / "checkpoint-3" / "model" / "model.safetensors"))
    # The KL reference is the warm-started policy (one SFT step away from the start), gathered whole under ZeRO-3.
    ref2, ref3 = (
        torch.load(tmp_path / run / "checkpoint-3" / "trainer_state.pt", weights_only=False)["reference"]
        for run in ("zero2", "zero3")
    )
    assert len([k for k in w2 if not torch.equal(ref2[k], start[k])]) > len(w2) // 2  # the warm start moved it
    assert len([k for k in w2 if not torch.equal(ref2[k], w2[k])]) > len(w2) // 2  # and GRPO moved on from it
    for k in w2:
        torch.testing.assert_close(ref3[k], ref2[k], rtol=0, atol=1e-5, msg=k)
    assert w2.keys() == w3.keys()
    moved = [k for k in w2 if not torch.equal(w2[k], start[k])]
    assert len(moved) > len(w2) // 2  # training moved most tensors
    for k in w2:  # ZeRO-3's forward is the full-logits path, ZeRO-2's the fused kernel: equal up to rounding
        torch.testing.assert_close(w3[k], w2[k], rtol=0, atol=1e-5, msg=k)


def test_grpo_steps_where_no_rank_kept_a_group_leave_the_weights_where_they_were(tmp_path, free_port):
    """Every GRPO reward is zero, so both ranks drop every group: no optimizer step is taken (an AdamW step on zero
    gradients would still move the weights on the warm start's momentum), and the policy ends where the warm
    start left it."""
    torch.manual_seed(0)
    start = tiny_llama(byte_tokenizer()).state_dict()
    two_ranks(tmp_path / "run", "2", free_port(), reward="test_always_zero")
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["groups_kept"] for r in rows if "groups_kept" in r] == [0, 0]
    weights = load_file(str(tmp_path / "run" / "checkpoint-3" / "model" / "model.safetensors"))
    warm = torch.load(tmp_path / "run" / "checkpoint-3" / "trainer_state.pt", weights_only=False)["reference"]
    assert len([k for k in weights if not torch.equal(warm[k], start[k])]) > len(weights) // 2  # the warm start moved
    for k in weights:
        assert torch.equal(weights[k], warm[k]), k
