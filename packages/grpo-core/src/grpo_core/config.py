"""Configuration: dataclasses with help text, TOML files, ``section.key=value`` overrides, and errors that name
the field before any compute starts."""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from rollout_vllm.tasks import TASKS
from toolcall_reward import REWARDS, RewardConfig
from toolcall_schema.prompt import TOOL_FORMATS

from .maths import LossConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(ValueError):
    """A bad configuration value; the message names the field."""


@dataclass
class ModelConfig:
    name: str = field(default="smollm2-135m-instruct", metadata={"help": "model name, local HF dir or hub id"})
    dtype: str = field(default="float32", metadata={"help": "float32 or bfloat16"})
    gradient_checkpointing: bool = field(default=False, metadata={"help": "trade compute for activation memory"})
    lora_r: int = field(default=0, metadata={"help": "LoRA rank (0 = full fine-tuning)"})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA alpha"})
    lora_targets: list[str] = field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"], metadata={"help": "LoRA target modules"}
    )


@dataclass
class DataConfig:
    source: str = field(
        default="synthetic",
        metadata={"help": "'synthetic' (tool calls), 'synthetic-math' (big-value word problems) or a records JSONL"},
    )
    eval_source: str = field(default="", metadata={"help": "held-out records JSONL ('' = synthetic held-out split)"})
    train_size: int = field(default=512, metadata={"help": "synthetic: training records"})
    eval_size: int = field(default=64, metadata={"help": "evaluation records (before and after training)"})
    shots: int = field(default=1, metadata={"help": "worked examples shown as prior turns"})
    no_call_shots: int = field(
        default=0,
        metadata={
            "help": "worked examples that decline (a request none of the tools serves, answered without a call), "
            "shown after the others"
        },
    )
    probes: bool = field(
        default=False,
        metadata={"help": "math: also evaluate the probe set (3.11 vs 3.9, letter counts...) before and after"},
    )
    tool_format: str = field(
        default="json",
        metadata={
            "help": "tools in the prompt: json (full schema), compact (one type line per parameter) or described "
            "(compact plus each parameter's description)"
        },
    )
    distractors: int = field(default=1, metadata={"help": "synthetic: extra tools per record"})
    mask_rate: float = field(
        default=0.0,
        metadata={
            "help": "add Hammer-masked copies (random function/parameter names) of this fraction of the "
            "training records, so the policy must read the tool list instead of memorising names"
        },
    )
    mask_tools: float = field(
        default=1.0,
        metadata={
            "help": "chance that each tool of a masked copy is renamed (at least one is): below 1 a familiar "
            "name sits beside a random one, as an unseen tool sits beside a familiar distractor at evaluation"
        },
    )
    irrelevance: float = field(
        default=0.0,
        metadata={
            "help": "add an irrelevance copy (the gold tools removed, the answer: no call) of this fraction of the "
            "training records, so that declining is learned on requests that look like the ones to answer"
        },
    )
    repeat: float = field(
        default=0.0,
        metadata={
            "help": "synthetic: the share of single-tool training requests that ask for the same tool two or three "
            "times with other values (BFCL's 'parallel' shape); the held-out records are unchanged"
        },
    )
    repeat_shots: int = field(
        default=0,
        metadata={"help": "synthetic: worked examples that call one tool two or three times, shown after the others"},
    )
    seed: int = field(default=0, metadata={"help": "data seed"})


@dataclass
class RolloutSection:
    backend: str = field(
        default="auto",
        metadata={
            "help": "auto (vllm when it is installed, the policy loads from a path and has no LoRA; else hf), hf or "
            "vllm (synced after every update)"
        },
    )
    n: int = field(default=8, metadata={"help": "samples per prompt (group size)"})
    temperature: float = field(default=0.7, metadata={"help": "sampling temperature (Tool-N1: 0.7)"})
    top_p: float = field(default=1.0, metadata={"help": "nucleus mass"})
    max_tokens: int = field(default=64, metadata={"help": "completion budget (injected observations included)"})
    max_turns: int = field(
        default=4,
        metadata={"help": "environment rounds per sample (bfcl_multi_turn: one per step of every turn, e.g. 64)"},
    )
    gpu_memory: float = field(
        default=0.3, metadata={"help": "vllm on CUDA: the share of GPU memory its engine may take (the rest: training)"}
    )
    max_step_tokens: int = field(
        default=0, metadata={"help": "cap per model message, 0 = none (bfcl_multi_turn: a cut message ends its turn)"}
    )
    env: str = field(
        default="function_call",
        metadata={"help": "the task (rollout_vllm.tasks): function_call, python, coder, tools, bfcl_multi_turn"},
    )
    tools: str = field(default="", metadata={"help": "tools task: MODULE:DICT naming a dict of callables"})
    think: bool = field(
        default=True,
        metadata={
            "help": "function_call task: reason inside <think> before the call (Tool-N1); false = the call alone "
            "(the no-reasoning ablation, with reward.require_think=false)"
        },
    )
    coder_model: str = field(
        default="same",
        metadata={
            "help": "coder task: the separate frozen coder model, a local path or hub id; 'same' = a frozen copy of "
            "the initial policy"
        },
    )


@dataclass
class AlgoConfig:
    mode: str = field(default="grpo", metadata={"help": "grpo or sft"})
    sft_warmup_steps: int = field(
        default=0, metadata={"help": "grpo mode: the first k of train.steps fit the gold answers (SFT warm start)"}
    )
    lr: float = field(default=1e-6, metadata={"help": "learning rate (Tool-N1: 1e-6)"})
    sft_lr: float = field(
        default=0.0, metadata={"help": "learning rate of the SFT steps (the warm start, or an SFT run); 0 = algo.lr"}
    )
    weight_decay: float = field(default=0.0, metadata={"help": "AdamW weight decay"})
    max_grad_norm: float = field(default=1.0, metadata={"help": "gradient clipping (0 = off)"})
    beta: float = field(default=1e-3, metadata={"help": "KL coefficient (0 skips the reference model)"})
    kl: str = field(default="k3", metadata={"help": "KL estimator k1, k2 or k3"})
    clip_low: float = field(default=0.2, metadata={"help": "ratio clip below 1"})
    clip_high: float = field(default=0.2, metadata={"help": "ratio clip above 1 (DAPO: 0.28)"})
    entropy_coef: float = field(default=0.0, metadata={"help": "entropy bonus"})
    advantage: str = field(
        default="grpo",
        metadata={"help": "ADVANTAGES key: grpo, rloo, reinforce_plus_plus (a batch baseline)"},
    )
    scale: str = field(
        default="group",
        metadata={"help": "group, batch or none (Dr. GRPO); reinforce_plus_plus divides by the batch std unless none"},
    )
    policy_loss: str = field(
        default="clipped", metadata={"help": "POLICY_LOSSES key: clipped (PPO/GRPO), vanilla, gspo, cispo"}
    )
    correction: str = field(
        default="none",
        metadata={
            "help": "sampler/trainer log-prob mismatch: none, tis (token-level truncated IS, weight capped at "
            "is_cap) or mis (sequence-level masked IS: drop sequences whose IS ratio is outside [1/is_cap, is_cap])"
        },
    )
    is_cap: float = field(default=2.0, metadata={"help": "the IS cap C of tis / mis"})
    overlong_filter: bool = field(
        default=False, metadata={"help": "DAPO: samples cut at rollout.max_tokens get no loss (their mask is 0)"}
    )
    overlong_buffer: int = field(
        default=0,
        metadata={
            "help": "DAPO soft overlong punishment: over the last N tokens of rollout.max_tokens the reward falls "
            "linearly by up to overlong_penalty (0 = off)"
        },
    )
    overlong_penalty: float = field(default=1.0, metadata={"help": "the soft overlong punishment at the budget"})
    agg: str = field(
        default="token-mean", metadata={"help": "token-mean, seq-mean-token-mean, seq-mean-token-sum-norm"}
    )
    drop_uniform: bool = field(
        default=True,
        metadata={"help": "drop groups that carry no advantage (under a group baseline: rewards all equal)"},
    )
    updates_per_batch: int = field(default=1, metadata={"help": "optimizer steps per rollout batch (mini-batches)"})
    logprob_chunk: int = field(default=1024, metadata={"help": "rows per chunk in the fused log-prob kernel"})
    share_prefix: bool = field(
        default=True, metadata={"help": "encode the prompt start all groups share once per mini-batch (exact)"}
    )

    def loss(self, max_len: int | None = None) -> LossConfig:
        """The objective's options as the maths and the fused kernel take them."""
        return LossConfig(
            policy_loss=self.policy_loss,
            clip_low=self.clip_low,
            clip_high=self.clip_high,
            beta=self.beta,
            kl=self.kl,
            entropy_coef=self.entropy_coef,
            agg=self.agg,
            max_len=max_len,
            correction=self.correction,
            is_cap=self.is_cap,
        )


@dataclass
class TrainConfig:
    steps: int = field(default=20, metadata={"help": "rollout + update steps"})
    prompts_per_step: int = field(default=4, metadata={"help": "groups per step"})
    oversample: float = field(
        default=1.0,
        metadata={
            "help": "DAPO dynamic sampling: roll out oversample x prompts_per_step prompts in one batch and train on "
            "at most prompts_per_step of the informative groups (1 = off)"
        },
    )
    max_refills: int = field(
        default=0,
        metadata={
            "help": "DAPO dynamic sampling: while fewer than prompts_per_step groups are informative, roll out fresh "
            "prompts, at most this many times (0 = off; not under DeepSpeed, whose ranks must step together)"
        },
    )
    eval_every: int = field(default=0, metadata={"help": "evaluate every k steps (0 = only before and after)"})
    save_every: int = field(default=10, metadata={"help": "checkpoint every k steps (0 = only at the end)"})
    output_dir: str = field(default="runs/quickstart", metadata={"help": "run directory"})
    seed: int = field(default=0, metadata={"help": "global seed"})
    curriculum: bool = field(default=False, metadata={"help": "sample prompts by pass rate (SimpleGRPO)"})
    group_key: str = field(
        default="",
        metadata={
            "help": "draw the prompts whose meta[group_key] is the same into one step together (synthetic-math's "
            "'pair': both halves of a minimal pair); '' = each prompt on its own"
        },
    )
    deepspeed: str = field(default="", metadata={"help": "'' (plain torch), a ZeRO stage '0'-'3' or a JSON file"})
    offload: bool = field(default=False, metadata={"help": "DeepSpeed: offload optimizer state to CPU"})
    device: str = field(
        default="auto",
        metadata={"help": "policy, reference and batch tensors: auto (CUDA when available), cpu, cuda or cuda:N"},
    )
    ref_on_cpu: bool = field(default=False, metadata={"help": "keep the KL reference model on the CPU (saves memory)"})
    samples_to_log: int = field(default=4, metadata={"help": "completions written per step"})
    eval_reward: str = field(
        default="", metadata={"help": "reward whose 'correct' is the held-out accuracy ('' = the task's own)"}
    )


SECTIONS = {
    "model": ModelConfig,
    "data": DataConfig,
    "rollout": RolloutSection,
    "reward": RewardConfig,
    "algo": AlgoConfig,
    "train": TrainConfig,
}


ZERO3_LORA = "ZeRO-3 with LoRA is not supported yet: use ZeRO-2 (the adapter is small) or full fine-tuning"


def _zero_stage(spec: str) -> int:
    """The ZeRO stage a ``train.deepspeed`` value asks for (a digit or a DeepSpeed JSON file)."""
    if spec.isdigit():
        return int(spec)
    try:
        return int(json.loads(Path(spec).read_text()).get("zero_optimization", {}).get("stage", 0))
    except (OSError, ValueError, AttributeError):
        return 0


@dataclass
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    rollout: RolloutSection = field(default_factory=RolloutSection)
    reward: RewardConfig = field(default_factory=RewardConfig)
    algo: AlgoConfig = field(default_factory=AlgoConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def validate(self) -> Config:
        """Every field checked before any compute; the error names the field."""
        from .maths import ADVANTAGES

        checks = [(f"algo.{name}", False, expected) for name, expected in self.algo.loss().problems()]
        checks += [
            ("rollout.backend", self.rollout.backend in ("auto", "hf", "vllm"), "auto, hf or vllm"),
            ("rollout.env", self.rollout.env in TASKS, f"one of {sorted(TASKS)}"),
            (
                "reward.require_think",
                self.rollout.think or not self.reward.require_think,
                "false when rollout.think is false (no answer would have a thought to require)",
            ),
            (
                "train.eval_reward",
                not self.train.eval_reward or self.train.eval_reward in REWARDS,
                f"'' or one of {sorted(REWARDS)}",
            ),
            ("rollout.max_turns", self.rollout.max_turns >= 1, ">= 1"),
            ("rollout.gpu_memory", 0 < self.rollout.gpu_memory < 1, "a fraction in (0, 1)"),
            ("rollout.max_step_tokens", self.rollout.max_step_tokens >= 0, ">= 0 (0 = no cap)"),
            ("rollout.n", self.rollout.n >= 2 or self.algo.mode == "sft", ">= 2 (GRPO compares samples)"),
            ("algo.mode", self.algo.mode in ("grpo", "sft"), "grpo or sft"),
            ("algo.sft_warmup_steps", 0 <= self.algo.sft_warmup_steps <= self.train.steps, "between 0 and train.steps"),
            ("algo.advantage", self.algo.advantage in ADVANTAGES, f"one of {sorted(ADVANTAGES)}"),
            ("algo.scale", self.algo.scale in ("group", "batch", "none"), "group, batch or none"),
            ("algo.lr", self.algo.lr > 0, "> 0"),
            ("algo.sft_lr", self.algo.sft_lr >= 0, ">= 0 (0 = algo.lr)"),
            ("data.tool_format", self.data.tool_format in TOOL_FORMATS, f"one of {', '.join(TOOL_FORMATS)}"),
            ("data.mask_rate", 0.0 <= self.data.mask_rate <= 1.0, "a fraction in [0, 1]"),
            ("data.mask_tools", 0.0 < self.data.mask_tools <= 1.0, "a probability in (0, 1]"),
            ("data.irrelevance", 0.0 <= self.data.irrelevance <= 1.0, "a fraction in [0, 1]"),
            ("data.repeat", 0.0 <= self.data.repeat <= 1.0, "a fraction in [0, 1]"),
            ("data.repeat_shots", self.data.repeat_shots >= 0, "a count, 0 or more"),
            (
                "data.no_call_shots",
                self.data.no_call_shots >= 0 and (self.data.source != "synthetic-math" or not self.data.no_call_shots),
                "a count, 0 or more (0 for synthetic-math: every problem is answered)",
            ),
            ("model.dtype", self.model.dtype in ("float32", "bfloat16"), "float32 or bfloat16"),
            ("train.steps", self.train.steps >= 0, ">= 0"),
            ("train.prompts_per_step", self.train.prompts_per_step >= 1, ">= 1"),
            ("train.oversample", self.train.oversample >= 1.0, ">= 1 (1 = no dynamic sampling)"),
            ("train.max_refills", self.train.max_refills >= 0, ">= 0 (0 = no refill)"),
            (
                "train.device",
                self.train.device in ("auto", "cpu", "cuda", "meta") or self.train.device.startswith("cuda:"),
                "auto, cpu, cuda or cuda:N (meta: tests)",
            ),
            ("algo.overlong_buffer", 0 <= self.algo.overlong_buffer < self.rollout.max_tokens, "in [0, max_tokens)"),
            (
                "train.deepspeed",
                self.train.deepspeed in ("", "0", "1", "2", "3") or Path(self.train.deepspeed).is_file(),
                "'', a ZeRO stage digit or an existing JSON file",
            ),
            ("train.deepspeed", _zero_stage(self.train.deepspeed) < 3 or not self.model.lora_r, ZERO3_LORA),
            (
                "data.source",
                self.data.source in ("synthetic", "synthetic-math") or Path(self.data.source).is_file(),
                "synthetic, synthetic-math or an existing file",
            ),
            (
                "data.eval_source",
                not self.data.eval_source or Path(self.data.eval_source).is_file(),
                "an existing file",
            ),
        ]
        for name, ok, expected in checks:
            if not ok:
                section, key = name.split(".")
                raise ConfigError(f"{name} = {getattr(getattr(self, section), key)!r}: expected {expected}")
        return self


def _coerce(section: str, key: str, value: Any, current: Any) -> Any:
    name = f"{section}.{key}"
    try:
        if isinstance(current, bool):
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("1", "true", "yes"):
                return True
            if str(value).lower() in ("0", "false", "no"):
                return False
            raise ValueError("expected true or false")
        if isinstance(current, int):
            return int(value)
        if isinstance(current, float):
            return float(value)
        if isinstance(current, list):
            return json.loads(value) if isinstance(value, str) else list(value)
        return str(value)
    except (ValueError, TypeError) as e:
        raise ConfigError(f"{name} = {value!r}: {e}") from None


def apply(cfg: Config, section: str, values: dict[str, Any], origin: str) -> None:
    if section not in SECTIONS:
        raise ConfigError(f"{origin}: unknown section [{section}]; sections: {', '.join(SECTIONS)}")
    target = getattr(cfg, section)
    known = {f.name for f in fields(target)}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{origin}: unknown key {section}.{key}; known: {', '.join(sorted(known))}")
        setattr(target, key, _coerce(section, key, value, getattr(target, key)))


def recipe_path(name: str) -> Path:
    path = Path(str(resources.files("grpo_core").joinpath("recipes", f"{name}.toml")))
    if not path.exists():
        names = sorted(p.stem for p in Path(path).parent.glob("*.toml"))
        raise ConfigError(f"unknown recipe {name!r}; recipes: {', '.join(names)}")
    return path


def load(config: str | None = None, overrides: list[str] | None = None) -> Config:
    """A recipe name or TOML path (default: the ``quickstart`` recipe) plus ``section.key=value`` overrides."""
    path = Path(config) if config and Path(config).suffix == ".toml" else recipe_path(config or "quickstart")
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: {e}") from None
    cfg = Config()
    for section, values in data.items():
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: top-level key {section!r} must be a [section]")
        apply(cfg, section, values, str(path))
    for item in overrides or []:
        dotted, sep, value = item.partition("=")
        section, dot, key = dotted.partition(".")
        if not sep or not dot:
            raise ConfigError(f"override {item!r}: expected section.key=value")
        apply(cfg, section, {key: value}, "command line")
    try:
        cfg.reward = RewardConfig(**dataclasses.asdict(cfg.reward))
    except ValueError as e:
        raise ConfigError(f"reward: {e}") from None
    return cfg.validate()
