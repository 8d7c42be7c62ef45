"""transformers backend: batched ``generate`` with per-sequence stop markers and sampling-time log-probs.

Log-probs are ``log_softmax(logits / temperature)`` of the sampled token (temperature 1 when greedy),
the same quantity the trainer recomputes and vLLM reports with ``logprobs_mode="processed_logprobs"``.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from .core import SamplingConfig, StepOutput, common_prefix_len


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
        """All rows decode in one batch, and shared work is done once: the prefix every prompt starts with
        (system prompt, worked examples) is encoded a single time, each distinct prompt's remainder once, and
        the resulting KV cache is repeated for every sample of a group instead of re-encoding the prompt."""
        rows_of: dict[tuple[int, ...], list[int]] = {}
        for i, p in enumerate(prompts):
            rows_of.setdefault(tuple(p), []).append(i)
        by_size: dict[int, list[tuple[int, ...]]] = {}  # one batch per group size (GRPO groups are all n)
        for key, rows in rows_of.items():
            by_size.setdefault(len(rows), []).append(key)
        results: list[StepOutput | None] = [None] * len(prompts)
        for k, keys in by_size.items():
            rows = [i for key in keys for i in rows_of[key]]
            outs = self._generate_shared([list(key) for key in keys], k, sampling, stop, [max_new[i] for i in rows])
            for i, out in zip(rows, outs):
                results[i] = out
        return results  # type: ignore[return-value]

    def _generate_shared(
        self, prompts: list[list[int]], k: int, sampling: SamplingConfig, stop: list[str], max_new: list[int]
    ) -> list[StepOutput]:
        """``k`` samples of each distinct prompt. Each prompt is laid out as [common prefix | padding | own
        tail]; positions come from the attention mask, so padding in the middle changes nothing."""
        from transformers import DynamicCache

        m = len(prompts)
        shared = common_prefix_len(prompts)
        p = min(shared, min(len(x) for x in prompts) - 1)  # generate needs one uncached token per prompt
        tails = [x[p:] for x in prompts]
        width = max(len(t) for t in tails)
        ids = torch.full((m, p + width), self.pad_id, dtype=torch.long)
        attn = torch.zeros_like(ids)
        ids[:, :p] = torch.tensor(prompts[0][:p], dtype=torch.long)
        attn[:, :p] = 1
        for j, t in enumerate(tails):
            ids[j, p + width - len(t) :] = torch.tensor(t, dtype=torch.long)
            attn[j, p + width - len(t) :] = 1
        ids, attn = ids.to(self.device), attn.to(self.device)
        cache = DynamicCache(config=self.model.config)
        if p > 0:  # the common prefix, once
            self.model(input_ids=ids[:1, :p], past_key_values=cache, use_cache=True)
            if m > 1:
                cache.batch_repeat_interleave(m)
        if width > 1:  # each distinct tail but its last token, once
            mask = attn[:, : p + width - 1]
            positions = (mask.cumsum(-1) - 1).clamp(min=0)[:, p:]
            self.model(
                input_ids=ids[:, p : p + width - 1],
                attention_mask=mask,
                position_ids=positions,
                past_key_values=cache,
                use_cache=True,
            )
        if k > 1:
            cache.batch_repeat_interleave(k)
        kwargs = self._generate_kwargs(sampling, stop, max(max_new), sampling.seed)
        out = self.model.generate(
            input_ids=ids.repeat_interleave(k, 0),
            attention_mask=attn.repeat_interleave(k, 0),
            past_key_values=self._static(cache, p + width + max(max_new)),
            **kwargs,
        )
        return self._finish(out, p + width, sampling, stop, max_new)

    def _static(self, cache, length: int):
        """The prefilled cache moved into a preallocated one: decoding then writes each new key/value in place
        instead of concatenating the whole cache again at every step and layer."""
        from transformers import StaticCache

        if not cache.get_seq_length():
            return None
        static = StaticCache(config=self.model.config, max_cache_len=length)
        for i, layer in enumerate(cache.layers):
            static.update(layer.keys, layer.values, i)
        return static

    def _generate_kwargs(self, sampling: SamplingConfig, stop: list[str], max_new: int, seed: int) -> dict:
        greedy = sampling.temperature <= 0
        kwargs = dict(
            do_sample=not greedy,
            max_new_tokens=max_new,
            output_logits=True,
            return_dict_in_generate=True,
            pad_token_id=self.pad_id,
            eos_token_id=self.eos_ids,
        )
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
                    if len(
                        self.tokenizer.decode(ids[:mid], skip_special_tokens=False)
                    ) >= need and marker in self.tokenizer.decode(ids[:mid], skip_special_tokens=False):
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
