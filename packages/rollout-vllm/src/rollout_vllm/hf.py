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
        if not prompts:
            return []
        width = max(len(p) for p in prompts)
        ids = torch.full((len(prompts), width), self.pad_id, dtype=torch.long)
        attn = torch.zeros_like(ids)
        for i, p in enumerate(prompts):  # left padding
            ids[i, width - len(p) :] = torch.tensor(p, dtype=torch.long)
            attn[i, width - len(p) :] = 1
        greedy = sampling.temperature <= 0
        kwargs = dict(do_sample=not greedy, max_new_tokens=max(max_new), output_logits=True,
                      return_dict_in_generate=True, pad_token_id=self.pad_id, eos_token_id=self.eos_ids)  # fmt: skip
        if not greedy:
            kwargs.update(temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k or None)
            torch.manual_seed(sampling.seed)
        else:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        if stop:
            kwargs.update(stop_strings=list(stop), tokenizer=self.tokenizer)
        out = self.model.generate(input_ids=ids.to(self.device), attention_mask=attn.to(self.device), **kwargs)
        new = out.sequences[:, width:].cpu()
        logits = torch.stack(out.logits, dim=1).float().cpu()
        temp = sampling.temperature if not greedy else 1.0
        logprobs = torch.log_softmax(logits / temp, dim=-1).gather(-1, new.unsqueeze(-1)).squeeze(-1)
        results = []
        for i in range(len(prompts)):
            results.append(self._cut(new[i].tolist(), logprobs[i].tolist(), stop, max_new[i]))
        return results

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
