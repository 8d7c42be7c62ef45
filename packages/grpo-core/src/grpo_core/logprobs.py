"""Per-token log-probs of the sampled tokens without materialising the ``(N, V)`` log-softmax.

``token_logprobs(hidden, weight, targets)`` = ``log_softmax(hidden @ weight.T / T)[i, targets[i]]``. The
fused path works through the rows in chunks: each chunk's logits are formed, reduced to (logsumexp, target
logit) and dropped; backward recomputes them chunk by chunk. Peak memory is one chunk of logits instead of
the full logits, their log-softmax and its gradient. On CUDA the per-chunk reduction and its gradient run
as Triton kernels (:mod:`grpo_core.triton_kernels`, an online logsumexp + gather over vocabulary blocks);
elsewhere the same chunking runs in plain torch. ``naive_logprobs`` is the reference.

When the loss is known up front, :func:`fused_logprob_loss` goes one step further: the loss is a sum of
per-token terms with fixed weights (every GRPO aggregation mode is), so each chunk's gradient with respect to
its logits is formed in the forward pass and pushed through the LM head at once. Backward then only scales
the stored gradients: three matrix products over the vocabulary in all (the naive path's count) instead of
four, and still one chunk of logits alive at a time. :func:`fused_grpo_loss` is the GRPO objective on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .maths import LossConfig, aggregation_weights, grpo_stats, loss_config, sequence_terms, token_objective


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
    """d logprob / d logits scaled by the incoming gradient: ``g·(onehot - softmax)`` (overwrites ``logits``)."""
    if _use_triton(logits):
        from .triton_kernels import lse_gather_backward

        return lse_gather_backward(logits, lse, targets, grad)
    out = logits.sub_(lse[:, None]).exp_().mul_(-grad[:, None])  # in place: the caller's logits are scratch
    out.scatter_add_(1, targets[:, None], grad[:, None])
    return out


def _logits(h: torch.Tensor, weight: torch.Tensor, temperature: float) -> torch.Tensor:
    """A chunk's float32 logits over ``temperature`` (the small ``h`` is scaled, not the ``(c, V)`` result)."""
    return ((h / temperature if temperature != 1.0 else h) @ weight.T).float()


class _ChunkedLogprobs(torch.autograd.Function):
    @staticmethod
    def forward(ctx, hidden, weight, targets, temperature: float, chunk: int):
        n = hidden.shape[0]
        out = torch.empty(n, dtype=torch.float32, device=hidden.device)
        lse_all = torch.empty(n, dtype=torch.float32, device=hidden.device)
        for s in range(0, n, chunk):
            logits = _logits(hidden[s : s + chunk], weight, temperature)
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
            logits = _logits(h, weight, t)
            rows = slice(s, s + chunk)
            g = _grad_logits(logits, lse_all[rows], targets[rows], grad_out[rows].float() / t).to(hidden.dtype)
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


LossFn = Callable[[torch.Tensor, slice, "torch.Tensor | None"], torch.Tensor]


def _chunk_terms(
    z: torch.Tensor, targets: torch.Tensor, loss_fn: LossFn, rows: slice, with_entropy: bool, temperature: float
):
    """One chunk of :func:`fused_logprob_loss`: ``(loss part, logp, entropy, d loss / d (h @ W.T))``; ``z`` (the
    chunk's tempered float32 logits) is overwritten and becomes the returned gradient."""
    ent = xlogp = None
    if _use_triton(z) and not with_entropy:
        from .triton_kernels import lse_gather

        lse, tgt = lse_gather(z, targets)
        probs = None
    else:
        tgt = z.gather(1, targets[:, None]).squeeze(1)
        top = z.amax(1, keepdim=True)
        probs = z.sub_(top).exp_()  # unnormalised softmax, in place
        total = probs.sum(1, keepdim=True)
        lse = top.squeeze(1) + total.squeeze(1).log()
        if with_entropy:
            probs.div_(total)
            total = torch.ones_like(total)
            xlogp = torch.special.xlogy(probs, probs)
            ent = -xlogp.sum(1)
    logp = tgt - lse
    with torch.enable_grad():
        lp = logp.detach().requires_grad_()
        en = ent.detach().requires_grad_() if ent is not None else None
        part = loss_fn(lp, rows, en)
        grads = torch.autograd.grad(part, [lp] if en is None else [lp, en], allow_unused=True)
    g_lp = grads[0] if grads[0] is not None else torch.zeros_like(logp)
    g_lp = g_lp / temperature  # the chain rule through z = (h @ W.T) / T, on the small per-row factors
    if probs is None:  # Triton: g·(onehot − softmax) from the logits and their logsumexp
        return part.detach(), logp, ent, _grad_logits(z, lse, targets, g_lp)
    g_ent = grads[1] / temperature if ent is not None and grads[1] is not None else None
    # d logp/dz = onehot − p;  d entropy/dz = −p·(log p + H)
    scale = g_lp if g_ent is None else g_lp + g_ent * ent
    grad = probs.mul_(-scale[:, None] / total)  # one pass: normalise and scale
    if g_ent is not None:
        grad.addcmul_(xlogp, g_ent[:, None], value=-1.0)
    grad.scatter_add_(1, targets[:, None], g_lp[:, None])
    return part.detach(), logp, ent, grad


class _FusedLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, hidden, weight, targets, loss_fn, temperature: float, chunk: int, with_entropy: bool):
        n = hidden.shape[0]
        need_h, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad_hidden = torch.empty_like(hidden) if need_h else None
        grad_weight = torch.zeros(weight.shape, dtype=torch.float32, device=weight.device) if need_w else None
        logp = torch.empty(n, dtype=torch.float32, device=hidden.device)
        ent = torch.empty(n if with_entropy else 0, dtype=torch.float32, device=hidden.device)
        loss = torch.zeros((), dtype=torch.float32, device=hidden.device)
        for s in range(0, n, chunk):
            rows = slice(s, min(s + chunk, n))
            h = hidden[rows]
            z = _logits(h, weight, temperature)
            part, lp, en, g = _chunk_terms(z, targets[rows], loss_fn, rows, with_entropy, temperature)
            loss += part
            logp[rows] = lp
            if en is not None:
                ent[rows] = en
            g = g.to(hidden.dtype)
            if grad_hidden is not None:
                grad_hidden[rows] = g @ weight
            if grad_weight is not None:
                grad_weight.addmm_(g.T.float(), h.float())
        ctx.grads = (grad_hidden, grad_weight.to(weight.dtype) if grad_weight is not None else None)
        ctx.mark_non_differentiable(logp, ent)
        return loss, logp, ent

    @staticmethod
    def backward(ctx, grad_loss, _grad_logp, _grad_ent):
        grad_hidden, grad_weight = ctx.grads
        ctx.grads = None
        for g in (grad_hidden, grad_weight):  # in place: the stored gradients are used once
            if g is not None:
                g.mul_(grad_loss.to(g.dtype))
        return grad_hidden, grad_weight, None, None, None, None, None


def fused_logprob_loss(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    targets: torch.Tensor,
    loss_fn: LossFn,
    temperature: float = 1.0,
    chunk: int = 1024,
    entropy: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """``(loss, logp, entropy)`` with ``loss = Σ_chunks loss_fn(logp[rows], rows, entropy[rows])``.

    ``logp`` is :func:`token_logprobs`'s result (detached), ``entropy`` the per-token entropy of the tempered
    distribution when ``entropy=True`` (else ``None``). ``loss_fn`` must be a sum of per-token terms: it sees one
    chunk at a time and is differentiated there, so whatever else it uses counts as constant. ``loss`` is
    differentiable in ``hidden`` and ``weight``."""
    loss, logp, ent = _FusedLoss.apply(hidden, weight, targets, loss_fn, float(temperature), int(chunk), entropy)
    return loss, logp, ent if entropy else None


def fused_grpo_loss(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    targets: torch.Tensor,
    old_logp: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    loss: LossConfig | None = None,
    *,
    temperature: float = 1.0,
    chunk: int = 1024,
    ref_logp: torch.Tensor | None = None,
    **options: Any,
) -> tuple[torch.Tensor, dict[str, float]]:
    """:func:`grpo_core.maths.grpo_loss` of ``log_softmax(hidden @ weight.T / temperature)`` at ``targets``,
    computed by :func:`fused_logprob_loss`, with the same :class:`~grpo_core.maths.LossConfig`. ``hidden``
    ``(B, T, H)``; ``targets``, ``old_logp``, ``mask``, ``ref_logp`` ``(B, T)``; ``advantages`` per sequence
    ``(B,)`` or per token ``(B, T)``."""
    loss = loss_config(loss, options)
    b, t = targets.shape
    flat = b * t
    seq_lr = keep = None
    if loss.needs_sequences:  # GSPO / masked IS: a first, gradient-free pass for each sequence's log-ratio
        with torch.no_grad():
            current = token_logprobs(hidden.reshape(flat, -1), weight, targets.reshape(flat), temperature, chunk)
        seq_lr, keep = sequence_terms(current.view(b, t), old_logp, mask, loss)
    kept = mask if keep is None else mask * keep
    w = aggregation_weights(kept, loss.agg, loss.max_len).reshape(flat)
    adv = (advantages if advantages.shape == targets.shape else advantages.reshape(b, 1)).expand(b, t).reshape(flat)
    old = old_logp.reshape(flat).float()
    ref = ref_logp.reshape(flat).float() if ref_logp is not None and loss.beta else None
    seq = None if seq_lr is None else seq_lr.reshape(flat)

    def loss_fn(lp: torch.Tensor, rows: slice, ent: torch.Tensor | None) -> torch.Tensor:
        ref_rows, seq_rows = None if ref is None else ref[rows], None if seq is None else seq[rows]
        per_token = token_objective(lp, old[rows], adv[rows], loss, ref_rows, ent, seq_rows)
        return (per_token * w[rows]).sum()

    total, logp, ent = fused_logprob_loss(
        hidden.reshape(flat, -1),
        weight,
        targets.reshape(flat),
        loss_fn,
        temperature,
        chunk,
        entropy=bool(loss.entropy_coef),
    )
    entropy = None if ent is None else ent.view(b, t)
    stats = grpo_stats(logp.view(b, t), old_logp, mask, loss, ref_logp, entropy)
    if keep is not None:
        stats["mis_kept"] = keep.float().mean().item()
    return total, stats
