"""transformers backend: batched ``generate`` with per-sequence stop markers and sampling-time log-probs.

Log-probs are ``log_softmax(logits / temperature)`` of the sampled token (temperature 1 when greedy),
the same quantity the trainer recomputes and vLLM reports with ``logprobs_mode="processed_logprobs"``.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from .core import SamplingConfig, StepOutput


class HFBackend:
    """Generation with a transformers causal LM (CPU or GPU)."""

    def __init__(self, model, tokenizer=None, *, dtype: torch.dtype = torch.float32, device: str = "cpu"):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from .models import resolve_model

        if isinstance(model, str):
            path = resolve_model(model)
            self.model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(device)
            self.tokenizer = tokenizer or AutoTokenizer.from_pretrained(path)
        else:
            self.model, self.tokenizer = model, tokenizer
        self.model.eval()
        self.device = next(self.model.parameters()).device
        self.eos_ids = _eos_ids(self.model, self.tokenizer)
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.eos_ids[0]

    @torch.no_grad()
    def generate_step(
        self, prompts: list[list[int]], sampling: SamplingConfig, stop: list[str], max_new: list[int]
    ) -> list[StepOutput]:
        """Rows sharing a prompt (a GRPO group) are prefilled once: the prompt's KV cache is computed a single
        time and repeated for every sample, instead of re-encoding the prompt per sample."""
        results: list[StepOutput | None] = [None] * len(prompts)
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, p in enumerate(prompts):
            groups.setdefault(tuple(p), []).append(i)
        singles = [rows[0] for rows in groups.values() if len(rows) == 1]
        if singles:  # distinct prompts (evaluation, multi-turn continuations): one left-padded batch
            outs = self._generate_batch([prompts[i] for i in singles], sampling, stop, [max_new[i] for i in singles])
            for i, out in zip(singles, outs):
                results[i] = out
        for key, rows in groups.items():
            if len(rows) > 1:
                outs = self._generate_group(list(key), len(rows), sampling, stop, [max_new[i] for i in rows])
                for i, out in zip(rows, outs):
                    results[i] = out
        return results  # type: ignore[return-value]

    def _generate_kwargs(self, sampling: SamplingConfig, stop: list[str], max_new: int, seed: int) -> dict:
        greedy = sampling.temperature <= 0
        kwargs = dict(do_sample=not greedy, max_new_tokens=max_new, output_logits=True, return_dict_in_generate=True,
                      pad_token_id=self.pad_id, eos_token_id=self.eos_ids)  # fmt: skip
        if greedy:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        else:
            kwargs.update(temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k or None)
            torch.manual_seed(seed)
        if stop:
            kwargs.update(stop_strings=list(stop), tokenizer=self.tokenizer)
        return kwargs

    def _finish(self, out, width: int, sampling: SamplingConfig, stop: list[str], max_new: list[int]):
        new = out.sequences[:, width:].cpu()
        logits = torch.stack(out.logits, dim=1).float().cpu()
        temp = sampling.temperature if sampling.temperature > 0 else 1.0
        logprobs = torch.log_softmax(logits / temp, dim=-1).gather(-1, new.unsqueeze(-1)).squeeze(-1)
        return [self._cut(new[i].tolist(), logprobs[i].tolist(), stop, max_new[i]) for i in range(new.shape[0])]

    def _generate_batch(self, prompts: list[list[int]], sampling: SamplingConfig, stop: list[str],
                        max_new: list[int]) -> list[StepOutput]:  # fmt: skip
        width = max(len(p) for p in prompts)
        ids = torch.full((len(prompts), width), self.pad_id, dtype=torch.long)
        attn = torch.zeros_like(ids)
        for i, p in enumerate(prompts):  # left padding
            ids[i, width - len(p) :] = torch.tensor(p, dtype=torch.long)
            attn[i, width - len(p) :] = 1
        kwargs = self._generate_kwargs(sampling, stop, max(max_new), sampling.seed)
        out = self.model.generate(input_ids=ids.to(self.device), attention_mask=attn.to(self.device), **kwargs)
        return self._finish(out, width, sampling, stop, max_new)

    def _generate_group(self, prompt: list[int], k: int, sampling: SamplingConfig, stop: list[str],
                        max_new: list[int]) -> list[StepOutput]:  # fmt: skip
        from transformers import DynamicCache

        ids = torch.tensor([prompt], dtype=torch.long, device=self.device)
        cache = None
        if len(prompt) > 1:
            cache = DynamicCache(config=self.model.config)
            self.model(input_ids=ids[:, :-1], past_key_values=cache, use_cache=True)
            if k > 1:
                cache.batch_repeat_interleave(k)
        kwargs = self._generate_kwargs(sampling, stop, max(max_new), sampling.seed + len(prompt))
        batch = ids.expand(k, -1)
        out = self.model.generate(input_ids=batch, attention_mask=torch.ones_like(batch), past_key_values=cache,
                                  **kwargs)  # fmt: skip
        return self._finish(out, len(prompt), sampling, stop, max_new)

    def _cut(self, ids: list[int], lps: list[float], stop: list[str], limit: int) -> StepOutput:
        """Trim one row at its first EOS, the token completing a stop marker, or its own length cap."""
        end, finish, marker = len(ids), "length", None
        for k, t in enumerate(ids):
            if t in self.eos_ids:
                end, finish = k + 1, "eos"
                break
        if stop:
            text = self.tokenizer.decode(ids[:end], skip_special_tokens=False)
            hits = [(text.find(s), s) for s in stop if s in text]
            if hits:
                pos, marker = min(hits)
                need = pos + len(marker)
                lo, hi = 1, end  # smallest prefix whose text contains the marker
                while lo < hi:
                    mid = (lo + hi) // 2
                    if len(self.tokenizer.decode(ids[:mid], skip_special_tokens=False)) >= need and marker in \
                            self.tokenizer.decode(ids[:mid], skip_special_tokens=False):  # fmt: skip
                        hi = mid
                    else:
                        lo = mid + 1
                end, finish = lo, "stop"
        if end > limit:
            end, finish, marker = limit, "length", None
        return StepOutput(ids[:end], lps[:end], finish, marker if finish == "stop" else None)

    @torch.no_grad()
    def update_weights(self, named_tensors: Iterable[tuple[str, torch.Tensor]]) -> None:
        """Copy trainer weights in by name (HF names)."""
        params = dict(self.model.named_parameters())
        for name, tensor in named_tensors:
            if name not in params:
                raise KeyError(f"unknown parameter {name!r}")
            params[name].copy_(tensor.to(params[name].dtype))


def _eos_ids(model, tokenizer) -> list[int]:
    ids = model.generation_config.eos_token_id if model.generation_config is not None else None
    ids = ids if isinstance(ids, list) else [ids] if ids is not None else []
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in ids:
        ids.append(tokenizer.eos_token_id)
    return ids
