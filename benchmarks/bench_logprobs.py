"""Per-token log-probs + a GRPO-style loss, forward and backward, at Qwen2.5's vocabulary (V = 151,936),
L = 1024, B = 4, hidden 896: peak memory and time against the naive path (full logits → log_softmax → gather →
loss) of ``chunked`` (``token_logprobs``: chunked log-probs, backward recomputes each chunk's logits) and
``fused`` (``fused_logprob_loss``: the loss inside the kernel, each chunk's gradient formed in forward, the path
the trainer uses). Each variant runs in its own process; peak memory is the
growth of the process's peak RSS over what the inputs already hold (CPU: the Triton kernel is CUDA-only, so
this measures the chunked torch path that CPU users get)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

V, L, B, H = 151_936, 1024, 4, 896
VARIANTS = ("naive", "chunked", "fused", "liger")  # liger: Liger-Kernel's LigerFusedLinearGRPOLoss, when installed


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def one(variant: str, repeats: int, chunk: int) -> dict:
    import torch
    from grpo_core.logprobs import fused_logprob_loss, naive_logprobs, token_logprobs

    torch.manual_seed(0)
    hidden = (torch.randn(B * L, H) * 0.5).requires_grad_(True)
    weight = (torch.randn(V, H) * 0.02).requires_grad_(True)
    targets = torch.randint(0, V, (B * L,))
    adv = torch.randn(B * L)

    def clipped(lp, old, a):  # the GRPO surrogate, token-mean; ratio 1 at the first update
        ratio = torch.exp(lp - old)
        return -(torch.minimum(ratio * a, ratio.clamp(0.8, 1.2) * a)).sum() / (B * L)

    liger = None
    if variant == "liger":  # compiled=False: its torch.compile path needs a GPU toolchain; chunk_size 1 as TRL uses it
        from liger_kernel.chunked_loss import LigerFusedLinearGRPOLoss

        liger = LigerFusedLinearGRPOLoss(beta=0.0, compiled=False, use_ref_model=False, chunk_size=1, loss_type="dapo")
        seq_adv = adv.view(B, L)[:, 0].contiguous()  # Liger takes one advantage per sequence
        ones = torch.ones(B, L)

    def step():
        if liger is not None:  # the same token-mean clipped surrogate at ratio 1, fused with the LM head
            out = liger(hidden.view(B, L, H), weight, targets.view(B, L), ones, seq_adv)
            loss = out[0] if isinstance(out, tuple) else out
        elif variant == "fused":  # the loss inside the kernel: gradients formed chunk by chunk in forward
            loss, _, _ = fused_logprob_loss(hidden, weight, targets, lambda lp, rows, _: clipped(lp, lp.detach(),
                                            adv[rows]), chunk=chunk)  # fmt: skip
        else:
            lp = token_logprobs(hidden, weight, targets, chunk=chunk) if variant == "chunked" else naive_logprobs(
                hidden, weight, targets)  # fmt: skip
            loss = clipped(lp, lp.detach(), adv)
        loss.backward()
        hidden.grad = weight.grad = None
        return loss.item()

    base = _rss_mib()
    times = []
    for _ in range(repeats + 1):  # the first call warms up allocator and kernels
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"variant": variant, "seconds": min(times[1:]), "peak_extra_mib": peak - base}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=512)
    ap.add_argument("--one", choices=VARIANTS)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "bench_logprobs.json"))
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one, a.repeats, a.chunk)))
        return
    rows = {}
    for variant in VARIANTS:
        if variant == "liger" and importlib.util.find_spec("liger_kernel") is None:
            print("liger-kernel is not installed: its row is left out (nox -s bench_train installs it)", flush=True)
            continue
        proc = subprocess.run([sys.executable, __file__, "--one", variant, "--repeats", str(a.repeats),
                               "--chunk", str(a.chunk)], capture_output=True, text=True, check=True)  # fmt: skip
        rows[variant] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(rows[variant], flush=True)
    result = {"shape": {"V": V, "L": L, "B": B, "H": H, "chunk_rows": a.chunk}, **rows,
              "memory_ratio": rows["fused"]["peak_extra_mib"] / rows["naive"]["peak_extra_mib"],
              "time_ratio": rows["fused"]["seconds"] / rows["naive"]["seconds"],
              "chunked_memory_ratio": rows["chunked"]["peak_extra_mib"] / rows["naive"]["peak_extra_mib"],
              "chunked_time_ratio": rows["chunked"]["seconds"] / rows["naive"]["seconds"],
              "targets": {"memory_ratio": "<= 0.25", "time_ratio": "<= 1.1"}}  # fmt: skip
    if "liger" in rows:  # ours (fused) against Liger-Kernel's fused GRPO loss, same run, same shapes
        result["vs_liger"] = {"memory_ratio": rows["fused"]["peak_extra_mib"] / rows["liger"]["peak_extra_mib"],
                              "time_ratio": rows["fused"]["seconds"] / rows["liger"]["seconds"]}  # fmt: skip
    print(json.dumps(result, indent=1))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
