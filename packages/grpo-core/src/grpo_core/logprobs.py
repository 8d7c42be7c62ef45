"""Per-token log-probs of the sampled tokens without materialising the ``(N, V)`` log-softmax.

``token_logprobs(hidden, weight, targets)`` = ``log_softmax(hidden @ weight.T / T)[i, targets[i]]``. The
fused path works through the rows in chunks: each chunk's logits are formed, reduced to (logsumexp, target
logit) and dropped; backward recomputes them chunk by chunk. Peak memory is one chunk of logits instead of
the full logits, their log-softmax and its gradient. On CUDA the per-chunk reduction and its gradient run
as Triton kernels (:mod:`grpo_core.triton_kernels`, an online logsumexp + gather over vocabulary blocks);
elsewhere the same chunking runs in plain torch. ``naive_logprobs`` is the reference.
"""

from __future__ import annotations

import torch


def naive_logprobs(
    hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
    """Reference: full logits, full log-softmax, gather."""
    logits = (hidden @ weight.T).float() / temperature
    return torch.log_softmax(logits, dim=-1).gather(-1, targets[:, None]).squeeze(-1)


def _use_triton(x: torch.Tensor) -> bool:
    if not x.is_cuda:
        return False
    try:
        import triton  # noqa: F401
    except ImportError:
        return False
    return True


def _lse_and_target(logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if _use_triton(logits):
        from .triton_kernels import lse_gather

        return lse_gather(logits, targets)
    return torch.logsumexp(logits, dim=-1), logits.gather(-1, targets[:, None]).squeeze(-1)


def _grad_logits(logits: torch.Tensor, lse: torch.Tensor, targets: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """d logprob / d logits scaled by the incoming gradient: ``g·(onehot - softmax)``."""
    if _use_triton(logits):
        from .triton_kernels import lse_gather_backward

        return lse_gather_backward(logits, lse, targets, grad)
    out = torch.exp(logits - lse[:, None]).mul_(-grad[:, None])
    out.scatter_add_(1, targets[:, None], grad[:, None])
    return out


class _ChunkedLogprobs(torch.autograd.Function):
    @staticmethod
    def forward(ctx, hidden, weight, targets, temperature: float, chunk: int):
        n = hidden.shape[0]
        out = torch.empty(n, dtype=torch.float32, device=hidden.device)
        lse_all = torch.empty(n, dtype=torch.float32, device=hidden.device)
        for s in range(0, n, chunk):
            logits = (hidden[s : s + chunk] @ weight.T).float().div_(temperature)
            lse, tgt = _lse_and_target(logits, targets[s : s + chunk])
            out[s : s + chunk] = tgt - lse
            lse_all[s : s + chunk] = lse
        ctx.save_for_backward(hidden, weight, targets, lse_all)
        ctx.temperature, ctx.chunk = temperature, chunk
        return out

    @staticmethod
    def backward(ctx, grad_out):
        hidden, weight, targets, lse_all = ctx.saved_tensors
        t, chunk = ctx.temperature, ctx.chunk
        grad_hidden = torch.empty_like(hidden) if ctx.needs_input_grad[0] else None
        grad_weight = (
            torch.zeros(weight.shape, dtype=torch.float32, device=weight.device) if ctx.needs_input_grad[1] else None
        )
        for s in range(0, hidden.shape[0], chunk):
            h = hidden[s : s + chunk]
            logits = (h @ weight.T).float().div_(t)
            g = _grad_logits(logits, lse_all[s : s + chunk], targets[s : s + chunk], grad_out[s : s + chunk].float())
            g = g.div_(t).to(hidden.dtype)
            if grad_hidden is not None:
                grad_hidden[s : s + chunk] = g @ weight
            if grad_weight is not None:
                grad_weight.addmm_(g.T.float(), h.float())
        if grad_weight is not None:
            grad_weight = grad_weight.to(weight.dtype)
        return grad_hidden, grad_weight, None, None, None


def token_logprobs(
    hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, temperature: float = 1.0, chunk: int = 1024
) -> torch.Tensor:
    """Fused, chunked ``log_softmax(hidden @ weight.T / temperature)`` gathered at ``targets``.

    ``hidden`` is ``(N, H)`` (flatten batch and time first), ``weight`` the ``(V, H)`` LM head, ``targets``
    ``(N,)``. Differentiable in ``hidden`` and ``weight``; returns float32 ``(N,)``."""
    return _ChunkedLogprobs.apply(hidden, weight, targets, float(temperature), int(chunk))
