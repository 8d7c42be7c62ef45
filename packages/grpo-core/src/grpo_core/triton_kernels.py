"""Triton kernels: an online logsumexp + target gather over vocabulary blocks, and its gradient.

One program per row; the vocabulary is swept in ``BLOCK`` columns keeping a running max and sum, so a row of
any width (V = 151,936 for Qwen) is reduced without a second pass or an extra row buffer. Used on CUDA by
:mod:`grpo_core.logprobs`; on CPU they run under Triton's interpreter (``TRITON_INTERPRET=1`` set before
triton is imported), which is how the tests check them against torch.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl


@triton.jit
def _lse_gather_kernel(logits_ptr, targets_ptr, lse_ptr, tgt_ptr, stride, V, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    base = logits_ptr + row * stride
    target = tl.load(targets_ptr + row)
    m = -float("inf")
    s = 0.0
    for start in range(0, V, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        x = tl.load(base + cols, mask=cols < V, other=-float("inf")).to(tl.float32)
        new_m = tl.maximum(m, tl.max(x, axis=0))
        s = s * tl.exp(m - new_m) + tl.sum(tl.exp(x - new_m), axis=0)
        m = new_m
    tl.store(lse_ptr + row, m + tl.log(s))
    tl.store(tgt_ptr + row, tl.load(base + target).to(tl.float32))


@triton.jit
def _lse_gather_bwd_kernel(logits_ptr, lse_ptr, targets_ptr, grad_ptr, out_ptr, stride, V, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    base = logits_ptr + row * stride
    out = out_ptr + row * stride
    lse = tl.load(lse_ptr + row)
    g = tl.load(grad_ptr + row)
    target = tl.load(targets_ptr + row)
    for start in range(0, V, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        x = tl.load(base + cols, mask=cols < V, other=0.0).to(tl.float32)
        d = -g * tl.exp(x - lse) + tl.where(cols == target, g, 0.0)
        tl.store(out + cols, d, mask=cols < V)


def lse_gather(logits: torch.Tensor, targets: torch.Tensor, block: int = 4096) -> tuple[torch.Tensor, torch.Tensor]:
    """(logsumexp per row, logit of each row's target) for a contiguous ``(N, V)`` tensor."""
    logits = logits.contiguous()
    n, v = logits.shape
    lse = torch.empty(n, dtype=torch.float32, device=logits.device)
    tgt = torch.empty(n, dtype=torch.float32, device=logits.device)
    _lse_gather_kernel[(n,)](logits, targets.contiguous(), lse, tgt, logits.stride(0), v, BLOCK=block)
    return lse, tgt


def lse_gather_backward(
    logits: torch.Tensor, lse: torch.Tensor, targets: torch.Tensor, grad: torch.Tensor, block: int = 4096
) -> torch.Tensor:
    """``grad·(onehot(target) - softmax(logits))`` per row: the gradient of ``logit[target] - lse``."""
    logits = logits.contiguous()
    n, v = logits.shape
    out = torch.empty((n, v), dtype=torch.float32, device=logits.device)
    _lse_gather_bwd_kernel[(n,)](
        logits, lse.contiguous(), targets.contiguous(), grad.contiguous().float(), out, logits.stride(0), v, BLOCK=block
    )
    return out
