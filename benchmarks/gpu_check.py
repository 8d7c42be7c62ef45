"""The GPU check: one command on a CUDA machine (about 5 minutes), one JSON.

    python benchmarks/gpu_check.py --prepare              # here, with PyPI: the wheels the GPU machine lacks -> .whl/
    bash benchmarks/gpu_check.sh                          # there: install .whl, run the check, write gpu_check.json
    python benchmarks/gpu_check.py --device cpu --small   # here: the same code paths on the CPU at small shapes

Three parts, each in its own process (a failure in one is recorded and the others still run):

1. ``kernels``: the Triton kernels (logsumexp + gather and its backward) and the log-prob and fused GRPO-loss paths
   that use them, against the naive path (full logits, log-softmax), at Qwen2.5's vocabulary (V = 151,936):
   values and gradients, fp32 and bf16 inputs. On the CPU the kernels run under Triton's interpreter.
2. ``bench``: forward + backward of the GRPO loss with the LM head (V = 151,936, L = 1,024, B = 4, H = 896, bf16):
   naive, ours (fused, Triton) and Liger-Kernel's ``LigerFusedLinearGRPOLoss`` compiled: peak memory over the
   inputs and median time; the targets are ours <= Liger's memory and <= 0.8x its time.
3. ``trainer``: GRPO steps of a tiny model on the device in bf16: plain torch, DeepSpeed ZeRO-2 and ZeRO-3 (one
   rank, every parameter partitioned): seconds per step, loss, parameters moved, ZeRO-3's weights against ZeRO-2's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEELS = ROOT / ".whl"
# What the GPU image lacks (it has torch, transformers, triton, peft, safetensors, numpy, ...): our packages' own
# needs, DeepSpeed's, and Liger-Kernel for the comparison, at the versions uv.lock holds (Liger: bench_train's pin).
CARRIED = ["jsonschema", "jsonschema-specifications", "referencing", "rpds-py", "jsonschema-rs", "orjson",
           "math-verify", "latex2sympy2-extended", "antlr4-python3-runtime", "gguf", "hjson", "pydantic",
           "pydantic-core", "annotated-types", "typing-inspection"]  # fmt: skip
EXTRA = ["liger-kernel==0.8.5"]
PACKAGES = ["toolcall-schema", "toolcall-reward", "rollout-vllm", "grpo-core"]
V, L, B, H = 151_936, 1024, 4, 896
SMALL = {"V": 4096, "L": 64, "B": 2, "H": 64}


# ----- preparation (here) --------------------------------------------------------------------------------------------
def prepare() -> None:
    """Download the carried wheels for the GPU machine (CPython 3.12, manylinux x86_64) and build ours and DeepSpeed's
    (pure Python with ``DS_BUILD_OPS=0``) into ``.whl/``."""
    import tomllib

    locked: dict[str, str] = {}
    for p in tomllib.loads((ROOT / "uv.lock").read_text())["package"]:
        locked.setdefault(p["name"], p["version"])
    wanted = [f"{name}=={locked[name]}" for name in CARRIED] + EXTRA
    WHEELS.mkdir(exist_ok=True)
    for old in WHEELS.glob("*"):
        old.unlink()
    platforms = [f"--platform=manylinux_2_{n}_x86_64" for n in (17, 27, 28, 31, 34)]
    platforms.append("--platform=manylinux2014_x86_64")
    pip = ["uvx", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version=3.12"]
    subprocess.run([*pip, "--implementation=cp", *platforms, "-d", str(WHEELS), *wanted], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["uvx", "pip", "download", "--no-deps", "--no-binary=:all:", "-d", tmp,
                        f"deepspeed=={locked['deepspeed']}"],
                       check=True)  # fmt: skip
        sdist = next(Path(tmp).glob("deepspeed-*.tar.gz"))
        env = {**os.environ, "DS_BUILD_OPS": "0"}
        subprocess.run(["uv", "build", "--wheel", "--out-dir", str(WHEELS), str(sdist)], check=True, env=env)
    for name in PACKAGES:
        subprocess.run(["uv", "build", "--package", name, "--wheel", "--out-dir", str(WHEELS)], check=True, cwd=ROOT)
    size = sum(p.stat().st_size for p in WHEELS.glob("*.whl")) / 2**20
    print(f"{len(list(WHEELS.glob('*.whl')))} wheels, {size:.1f} MiB in {WHEELS}")


# ----- part 1: kernels -----------------------------------------------------------------------------------------------
def max_err(a, b) -> float:
    return float((a.float() - b.float()).abs().max())


def kernels(device: str, small: bool) -> dict:
    import torch
    from grpo_core.logprobs import fused_grpo_loss, naive_logprobs, token_logprobs
    from grpo_core.maths import LossConfig, grpo_loss
    from grpo_core.triton_kernels import lse_gather, lse_gather_backward

    v, rows, h = (SMALL["V"], 64, SMALL["H"]) if small else (V, 1024, H)
    out: dict = {"V": v, "rows": rows, "H": h}
    for dtype in (torch.float32, torch.bfloat16):
        torch.manual_seed(0)
        hidden = (torch.randn(rows, h, device=device) * 0.5).to(dtype)
        weight = (torch.randn(v, h, device=device) * 0.05).to(dtype)
        targets = torch.randint(0, v, (rows,), device=device)
        logits = (hidden @ weight.T).float()
        lse, tgt = lse_gather(logits, targets)
        grad = torch.randn(rows, device=device)
        d_logits = lse_gather_backward(logits, lse, targets, grad)
        expected = grad[:, None] * (torch.nn.functional.one_hot(targets, v) - torch.softmax(logits, -1))
        row = {
            "lse": max_err(lse, torch.logsumexp(logits, -1)),
            "target_logit": max_err(tgt, logits.gather(-1, targets[:, None]).squeeze(-1)),
            "grad_logits": max_err(d_logits, expected),
        }
        # the trainer's paths (Triton inside on CUDA) against the naive one: log-probs, then the GRPO loss
        leaves = [hidden.detach().clone().requires_grad_(), weight.detach().clone().requires_grad_()]
        naive = [hidden.detach().clone().requires_grad_(), weight.detach().clone().requires_grad_()]
        ours, ref = token_logprobs(*leaves, targets, 0.7), naive_logprobs(*naive, targets, 0.7)
        (ours * grad).sum().backward()
        (ref * grad).sum().backward()
        row["logprobs"] = max_err(ours, ref)
        row["grad_hidden"] = max_err(leaves[0].grad, naive[0].grad)
        row["grad_weight"] = max_err(leaves[1].grad, naive[1].grad)
        b, t = 4, rows // 4
        old = (ref.detach() + 0.1 * torch.randn(rows, device=device)).view(b, t)
        adv, mask = torch.randn(b, device=device), (torch.rand(b, t, device=device) > 0.2).float()
        loss_cfg = LossConfig()
        for p in leaves + naive:
            p.grad = None
        fused, _ = fused_grpo_loss(leaves[0].view(b, t, h), leaves[1], targets.view(b, t), old, adv, mask, loss_cfg,
                                   temperature=0.7)  # fmt: skip
        plain, _ = grpo_loss(naive_logprobs(*naive, targets, 0.7).view(b, t), old, adv, mask, loss_cfg)
        fused.backward()
        plain.backward()
        row["grpo_loss"] = max_err(fused, plain)
        row["grpo_grad_hidden"] = max_err(leaves[0].grad, naive[0].grad)
        row["grpo_grad_weight"] = max_err(leaves[1].grad, naive[1].grad)
        out[str(dtype).removeprefix("torch.")] = row
    # what "equal" means: fp32 within 1e-3; bf16 within 5e-2 (an 8-bit mantissa: 0.4% of a log-prob near -12)
    out["ok"] = all(x < 1e-3 for x in out["float32"].values()) and all(x < 5e-2 for x in out["bfloat16"].values())
    return out


# ----- part 2: benchmark ---------------------------------------------------------------------------------------------
def bench_one(variant: str, device: str, small: bool) -> dict:
    import torch
    from grpo_core.logprobs import fused_logprob_loss, naive_logprobs

    v, length, b, h = (SMALL["V"], SMALL["L"], SMALL["B"], SMALL["H"]) if small else (V, L, B, H)
    cuda = device == "cuda"
    dtype = torch.bfloat16 if cuda else torch.float32
    torch.manual_seed(0)
    hidden = (torch.randn(b * length, h, device=device) * 0.5).to(dtype).requires_grad_()
    weight = (torch.randn(v, h, device=device) * 0.02).to(dtype).requires_grad_()
    targets = torch.randint(0, v, (b * length,), device=device)
    adv = torch.randn(b, device=device).repeat_interleave(length)  # one advantage per sequence, as Liger takes

    def clipped(lp, old, a):  # the GRPO surrogate, token-mean; ratio 1 at the first update
        ratio = torch.exp(lp - old)
        return -(torch.minimum(ratio * a, ratio.clamp(0.8, 1.2) * a)).sum() / (b * length)

    if variant == "liger":
        from liger_kernel.chunked_loss import LigerFusedLinearGRPOLoss

        liger = LigerFusedLinearGRPOLoss(beta=0.0, compiled=cuda, use_ref_model=False, chunk_size=1, loss_type="dapo")
        ones = torch.ones(b, length, device=device)

    def step() -> None:
        if variant == "liger":
            out = liger(hidden.view(b, length, h), weight, targets.view(b, length), ones, adv.view(b, length)[:, 0])
            loss = out[0] if isinstance(out, tuple) else out
        elif variant == "fused":
            loss, _, _ = fused_logprob_loss(hidden, weight, targets, lambda lp, rows, _: clipped(lp, lp.detach(),
                                            adv[rows]), chunk=4096 if cuda else 512)  # fmt: skip
        else:
            lp = naive_logprobs(hidden, weight, targets)
            loss = clipped(lp, lp.detach(), adv)
        loss.backward()
        hidden.grad = weight.grad = None

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    for _ in range(2):  # warm-up: compilation, autotuning, allocator
        step()
    sync()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    times = []
    for _ in range(5 if cuda else 2):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    peak = (torch.cuda.max_memory_allocated() - base) / 2**20 if cuda else None  # CPU: see bench_logprobs
    return {"variant": variant, "seconds": statistics.median(times), "peak_extra_mib": peak, "dtype": str(dtype)}


def bench(device: str, small: bool) -> dict:
    rows = {v: run_part(f"bench:{v}", device, small) for v in ("naive", "fused", "liger")}
    out: dict = {"shape": SMALL if small else {"V": V, "L": L, "B": B, "H": H}, **rows}
    if all("seconds" in rows[k] for k in ("fused", "liger")):
        fused, liger = rows["fused"], rows["liger"]
        memory = fused["peak_extra_mib"] / liger["peak_extra_mib"] if liger["peak_extra_mib"] else None
        out["vs_liger"] = {"time_ratio": fused["seconds"] / liger["seconds"], "memory_ratio": memory,
                           "targets": {"time_ratio": "<= 0.8", "memory_ratio": "<= 1.0"}}  # fmt: skip
    return out


# ----- part 3: trainer -----------------------------------------------------------------------------------------------
def trainer_one(stage: str, device: str, small: bool) -> dict:
    """A few GRPO steps of a tiny model in bf16 on ``device``: '' = plain torch, '2' / '3' = DeepSpeed ZeRO."""
    import torch
    import torch.distributed as dist
    from grpo_core.config import load
    from grpo_core.trainer import fit
    from rollout_vllm.testing import byte_tokenizer, tiny_llama
    from safetensors.torch import load_file
    from toolcall_reward import RewardResult, register_reward

    @register_reward("gpu_check_odd_length")
    def odd_length(text, record, cfg):
        return RewardResult(float(len(text) % 2), {}, "ok", correct=bool(len(text) % 2))

    os.environ.update({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29611", "RANK": "0", "WORLD_SIZE": "1",
                       "LOCAL_RANK": "0", "DS_BUILD_OPS": "0"})  # fmt: skip
    if stage:
        dist.init_process_group("nccl" if device == "cuda" else "gloo")
    tokenizer = byte_tokenizer()
    model = tiny_llama(tokenizer).to(torch.bfloat16)
    start = {k: v.detach().float().clone() for k, v in model.state_dict().items()}
    out_dir = Path(tempfile.mkdtemp()) / f"zero{stage or 'none'}"
    spec = stage
    if stage == "3":  # every parameter partitioned, as a large model would be
        spec = str(out_dir.with_suffix(".json"))
        zero = {"stage": 3, "stage3_param_persistence_threshold": 0}
        config = {"train_micro_batch_size_per_gpu": 1, "gradient_accumulation_steps": 1, "zero_optimization": zero,
                  "gradient_clipping": 1.0, "bf16": {"enabled": True}}  # fmt: skip
        Path(spec).write_text(json.dumps(config))
    steps = 3 if small else 6
    cfg = load("quickstart", ["data.train_size=24", "data.eval_size=4", "data.shots=0", "rollout.n=8",
                              "rollout.max_tokens=16", "train.prompts_per_step=4", f"train.steps={steps}",
                              "train.save_every=0", f"train.output_dir={out_dir}", "rollout.backend=hf",
                              "reward.reward=gpu_check_odd_length", "algo.lr=1e-3", "algo.beta=0.001",
                              "algo.sft_warmup_steps=0", "model.dtype=bfloat16", f"train.device={device}",
                              f"train.deepspeed={spec}"])  # fmt: skip
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    report = fit(cfg, model=model, tokenizer=tokenizer, progress=False)
    seconds = time.perf_counter() - t0
    rows = [json.loads(x) for x in (out_dir / "metrics.jsonl").read_text().splitlines()]
    steps_rows = [r for r in rows if "time_update" in r]
    weights = load_file(str(out_dir / f"checkpoint-{steps}" / "model" / "model.safetensors"))
    moved = sum(not torch.equal(weights[k].float(), start[k]) for k in weights if k in start)
    torch.save({k: v.float() for k, v in weights.items()}, out_dir.parent / "weights.pt")
    return {
        "stage": stage or "none",
        "seconds": seconds,
        "step_seconds": [r["time_generate"] + r["time_update"] for r in steps_rows],
        "loss": [r.get("loss") for r in steps_rows],
        "reward_mean": [r.get("reward_mean") for r in steps_rows],
        "tensors_moved": f"{moved}/{len(weights)}",
        "peak_gpu_mib": torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else None,
        "accuracy_after": report.get("after", {}).get("accuracy"),
        "weights": str(out_dir.parent / "weights.pt"),
    }


def trainer(device: str, small: bool) -> dict:
    import torch

    rows = {stage or "none": run_part(f"trainer:{stage}", device, small) for stage in ("", "2", "3")}
    if all("weights" in rows[k] for k in ("2", "3")):  # the same steps: ZeRO-3 ends where ZeRO-2 does (bf16)
        w2, w3 = (torch.load(rows[k]["weights"]) for k in ("2", "3"))
        rows["zero3_vs_zero2_max_abs"] = max(float((w3[k] - w2[k]).abs().max()) for k in w2)
    return rows


# ----- driver --------------------------------------------------------------------------------------------------------
def run_part(part: str, device: str, small: bool, timeout: int = 420) -> dict:
    """One part in its own process; its error (or time-out) is recorded instead of stopping the check."""
    cmd = [sys.executable, __file__, "--one", part, "--device", device] + (["--small"] if small else [])
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": proc.stderr[-3000:]}
    return json.loads(lines[-1])


def one(part: str, device: str, small: bool) -> dict:
    name, _, arg = part.partition(":")
    if name == "kernels":
        return kernels(device, small)
    if name == "bench":
        return bench_one(arg, device, small)
    return trainer_one(arg, device, small)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prepare", action="store_true", help="download and build the carried wheels into .whl/")
    ap.add_argument("--device", default="cuda", help="cuda (the check) or cpu (its code paths, here)")
    ap.add_argument("--small", action="store_true", help="small shapes (for a CPU rehearsal)")
    ap.add_argument("--parts", nargs="*", default=["kernels", "bench", "trainer"])
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--out", default=os.path.join(os.environ.get("OUT", "."), "gpu_check.json"))
    a = ap.parse_args()
    if a.device == "cpu":
        os.environ.setdefault("TRITON_INTERPRET", "1")  # the Triton kernels on CPU tensors (before triton loads)
    if a.prepare:
        prepare()
        return
    if a.one:
        print(json.dumps(one(a.one, a.device, a.small)), flush=True)
        return
    import torch

    result: dict = {"device": torch.cuda.get_device_name() if a.device == "cuda" else "cpu", "small": a.small}
    result["versions"] = versions()
    t0 = time.perf_counter()
    for part in a.parts:
        t = time.perf_counter()
        result[part] = run_part(part, a.device, a.small) if part == "kernels" else globals()[part](a.device, a.small)
        result[part]["part_seconds"] = time.perf_counter() - t
        print(part, json.dumps(result[part])[:2000], flush=True)
        Path(a.out).write_text(json.dumps(result, indent=1) + "\n")  # what is done so far is kept
    result["seconds"] = time.perf_counter() - t0
    Path(a.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {a.out} in {result['seconds']:.0f} s")


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("torch", "triton", "transformers", "peft", "deepspeed", "liger-kernel", "grpo-core"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


if __name__ == "__main__":
    main()
