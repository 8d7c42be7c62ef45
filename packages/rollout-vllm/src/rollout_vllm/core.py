"""What every backend and environment exchanges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class SamplingConfig:
    """Sampling for one rollout batch (same meaning on every backend)."""

    temperature: float = field(default=0.7, metadata={"help": "0 = greedy"})
    top_p: float = field(default=1.0, metadata={"help": "nucleus sampling mass"})
    top_k: int = field(default=0, metadata={"help": "0 = off"})
    max_tokens: int = field(default=256, metadata={"help": "completion budget, injected observations included"})
    max_turns: int = field(default=4, metadata={"help": "environment rounds before a sample is cut off"})
    max_step_tokens: int = field(
        default=0,
        metadata={
            "help": "cap on one message (0 = none); a stateful environment that acts on end-of-turn gets the cut "
            "message as the model's message (as BFCL treats a response cut at its output limit)"
        },
    )
    seed: int = field(default=0, metadata={"help": "HF: torch seed per call; vLLM: set once on the engine"})


@dataclass
class StepOutput:
    """One generation segment of one sequence."""

    ids: list[int]
    logprobs: list[float]
    finish: str  # "eos", "stop" (a stop marker was produced) or "length"
    stop: str | None = None


@dataclass
class Sample:
    """One completion: model tokens (mask 1) and injected observation tokens (mask 0), with the
    sampling-time log-probs of the model tokens (0.0 where mask is 0)."""

    prompt_index: int
    sample_index: int
    prompt_ids: list[int]
    completion_ids: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    mask: list[int] = field(default_factory=list)
    text: str = ""
    response: str = ""  # ``text`` without the final end-of-sequence token: what rewards read
    finish_reason: str = ""  # "eos", "length", "max_turns", "done"
    truncated: bool = False
    tool_rounds: int = 0
    episode: dict | None = None  # a stateful environment's record of this sample (multi-turn: its steps per turn)

    def append(self, ids: list[int], logprobs: list[float] | None, generated: bool) -> None:
        self.completion_ids.extend(ids)
        self.logprobs.extend(logprobs if logprobs is not None else [0.0] * len(ids))
        self.mask.extend([1 if generated else 0] * len(ids))

    def to_dict(self) -> dict:
        return {
            "prompt_index": self.prompt_index,
            "sample_index": self.sample_index,
            "prompt_ids": self.prompt_ids,
            "completion_ids": self.completion_ids,
            "logprobs": self.logprobs,
            "mask": self.mask,
            "text": self.text,
            "response": self.response,
            "finish_reason": self.finish_reason,
            "truncated": self.truncated,
            "tool_rounds": self.tool_rounds,
            **({"episode": self.episode} if self.episode is not None else {}),
        }


class Backend(Protocol):
    """A token-level generator: continue each token sequence until EOS, a stop marker or a length cap."""

    tokenizer: object

    def generate_step(
        self, prompts: list[list[int]], sampling: SamplingConfig, stop: list[str], max_new: list[int]
    ) -> list[StepOutput]: ...

    def update_weights(self, named_tensors) -> None: ...


def common_prefix_len(prompts: Sequence[Sequence[int]]) -> int:
    """How many leading tokens every prompt shares."""
    first, n = prompts[0], min(len(p) for p in prompts)
    for i in range(n):
        if any(p[i] != first[i] for p in prompts[1:]):
            return i
    return n
