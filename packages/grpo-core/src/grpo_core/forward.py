"""Per-token log-probs of a group's completions with the prompt encoded once.

TRL re-encodes a group's (long) prompt once per sample. Here the prompt runs through the model once, its
key/value cache is repeated for the ``n`` completions, and the completions run on top of it; gradients flow
back through the shared prompt computation. Groups whose prompts start alike (system prompt, worked examples)
can also share that prefix (:func:`encode_prefix`): it is encoded once per mini-batch, each group's backward
accumulates into its key/values, and one backward then runs through the prefix. The LM head is applied by the
fused chunked kernel (:func:`grpo_core.logprobs.token_logprobs`, or :func:`grpo_core.logprobs.fused_grpo_loss`
on :func:`group_hidden`'s output), so no ``(n, T, V)`` logits tensor is built.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .logprobs import token_logprobs


def base_and_head(model) -> tuple[torch.nn.Module, torch.Tensor]:
    """The decoder stack and the LM-head weight of a causal LM (unwrapping PEFT and DeepSpeed)."""
    if hasattr(model, "module") and not hasattr(model, "lm_head"):  # DeepSpeed engine
        model = model.module
    if hasattr(model, "get_base_model"):  # PEFT
        model = model.get_base_model()
    return model.model, model.get_output_embeddings().weight


@dataclass
class SharedPrefix:
    """The key/values of a prompt prefix shared by several groups, cut from the graph at ``leaves``."""

    length: int
    kv: list[tuple[torch.Tensor, torch.Tensor]]
    leaves: list[tuple[torch.Tensor, torch.Tensor]]

    def cache(self, config):
        from transformers import DynamicCache

        cache = DynamicCache(config=config)
        for i, (k, v) in enumerate(self.leaves):
            cache.update(k, v, i)
        return cache

    def backward(self) -> None:
        """Run the prefix's backward once with the gradients every group left on its key/values."""
        outs, grads = [], []
        for pair, leaf_pair in zip(self.kv, self.leaves):
            for t, leaf in zip(pair, leaf_pair):
                if leaf.grad is not None:
                    outs.append(t)
                    grads.append(leaf.grad)
        if outs:
            torch.autograd.backward(outs, grads)


def encode_prefix(model, ids: list[int]) -> SharedPrefix:
    decoder, head = base_and_head(model)
    out = decoder(input_ids=torch.tensor([ids], dtype=torch.long, device=head.device), use_cache=True)
    kv = [(layer.keys, layer.values) for layer in out.past_key_values.layers]
    leaves = [(k.detach().requires_grad_(k.requires_grad), v.detach().requires_grad_(v.requires_grad)) for k, v in kv]
    return SharedPrefix(len(ids), kv, leaves)


def padded(completions: list[list[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """The completions right-padded with ``pad_id`` ``(n, C)`` and their validity mask (1 on real tokens)."""
    n, width = len(completions), max(1, max(len(c) for c in completions))
    comp = torch.full((n, width), pad_id, dtype=torch.long, device=device)
    valid = torch.zeros((n, width), dtype=torch.long, device=device)
    for i, c in enumerate(completions):
        comp[i, : len(c)] = torch.tensor(c, dtype=torch.long)
        valid[i, : len(c)] = 1
    return comp, valid


def group_hidden(
    model,
    prompt_ids: list[int],
    completions: list[list[int]],
    pad_id: int = 0,
    shared_prefix: bool = True,
    prefix: SharedPrefix | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(hidden, targets, mask)``: the final hidden state that predicts each completion token ``(n, C, H)``,
    the completion tokens ``(n, C)`` (right-padded with ``pad_id``) and a validity mask (1 on real tokens).
    ``prefix``: the already-encoded start of ``prompt_ids`` (at least one prompt token must follow it)."""
    decoder, head = base_and_head(model)
    device = head.device
    comp, valid = padded(completions, pad_id, device)
    n, width = comp.shape
    prompt = torch.tensor([prompt_ids], dtype=torch.long, device=device)
    p = prompt.shape[1]
    if prefix is not None:
        if not 0 < prefix.length < p:
            raise ValueError(f"shared prefix of {prefix.length} tokens for a prompt of {p}")
        positions = torch.arange(prefix.length, p, device=device)[None]
        out = decoder(
            input_ids=prompt[:, prefix.length :],
            position_ids=positions,
            past_key_values=prefix.cache(decoder.config),
            use_cache=True,
        )
        cache = out.past_key_values
    elif shared_prefix:
        out = decoder(input_ids=prompt, use_cache=True)
        cache = out.past_key_values
    if prefix is not None or shared_prefix:
        cache.batch_repeat_interleave(n)
        attn = torch.cat([torch.ones((n, p), dtype=torch.long, device=device), valid], dim=1)
        pos = torch.arange(p, p + width, device=device).expand(n, width)
        rest = decoder(input_ids=comp, attention_mask=attn, position_ids=pos, past_key_values=cache, use_cache=True)
        first = out.last_hidden_state[:, -1:].expand(n, 1, -1)
        hidden = torch.cat([first, rest.last_hidden_state[:, :-1]], dim=1)
    else:
        ids = torch.cat([prompt.expand(n, p), comp], dim=1)
        attn = torch.cat([torch.ones((n, p), dtype=torch.long, device=device), valid], dim=1)
        hidden = decoder(input_ids=ids, attention_mask=attn, use_cache=False).last_hidden_state[:, p - 1 : -1]
    return hidden, comp, valid


def group_logprobs(
    model,
    prompt_ids: list[int],
    completions: list[list[int]],
    temperature: float = 1.0,
    chunk: int = 1024,
    pad_id: int = 0,
    shared_prefix: bool = True,
    prefix: SharedPrefix | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(logp, mask)``: ``(n, C)`` log-probs of each completion token under ``model`` and a validity mask
    (1 on real tokens, 0 on right padding); arguments as :func:`group_hidden`."""
    hidden, comp, valid = group_hidden(model, prompt_ids, completions, pad_id, shared_prefix, prefix)
    n, width = comp.shape
    logp = token_logprobs(
        hidden.reshape(-1, hidden.shape[-1]), base_and_head(model)[1], comp.reshape(-1), temperature, chunk
    )
    return logp.view(n, width), valid


def full_forward_logprobs(
    model, prompt_ids: list[int], completions: list[list[int]], temperature: float = 1.0, pad_id: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(logp, mask)`` as :func:`group_logprobs`, through the model's own forward, LM head included (full
    ``(n, T, V)`` logits): the path under ZeRO-3, whose engine gathers each module's partitioned parameters only
    inside that module's forward."""
    device = next(model.parameters()).device
    comp, valid = padded(completions, pad_id, device)
    n, p = len(completions), len(prompt_ids)
    ids = torch.cat([torch.tensor([prompt_ids], dtype=torch.long, device=device).expand(n, p), comp], dim=1)
    attn = torch.cat([torch.ones((n, p), dtype=torch.long, device=device), valid], dim=1)
    logits = model(input_ids=ids, attention_mask=attn, use_cache=False).logits[:, p - 1 : -1].float()
    logp = torch.log_softmax(logits / temperature, dim=-1).gather(-1, comp.unsqueeze(-1)).squeeze(-1)
    return logp, valid
