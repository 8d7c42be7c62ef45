"""The GRPO trainer: records → prompts → rollouts → rewards → advantages → policy update → weight sync.

One step: sample ``prompts_per_step`` records (uniformly or by pass rate), generate ``n`` completions each
(rollout-vllm, ``hf`` sharing the policy module or ``vllm`` synced after every update), score them
(toolcall-reward), turn rewards into group advantages, drop uniform groups, and update the policy in
``updates_per_batch`` mini-batches against the sampling-time log-probs, each group's prompt encoded once.
Plain torch AdamW by default; DeepSpeed ZeRO 0-2 with ``train.deepspeed`` (each rank colocates its own
rollouts on its share of the prompts). The task (``rollout.env``, :mod:`rollout_vllm.tasks`) renders the prompts,
provides the environment and names the evaluation reward. ``algo.mode = "sft"`` trains on the gold completions instead.
"""

from __future__ import annotations

import copy
import json
import math
import os
import random
import time
from pathlib import Path
from typing import Any

import torch
from rollout_vllm.core import SamplingConfig, common_prefix_len
from rollout_vllm.engine import RolloutEngine
from rollout_vllm.tasks import get_task
from toolcall_reward import RewardContext, score
from toolcall_schema import Record, sft_target

from .config import Config, ConfigError
from .data import Curriculum, example_thought, load_records
from .forward import SharedPrefix, base_and_head, encode_prefix, group_hidden, group_logprobs
from .logprobs import fused_grpo_loss
from .maths import ADVANTAGES, informative_groups


def _dist() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


class Trainer:
    def __init__(self, cfg: Config, *, model=None, tokenizer=None) -> None:
        self.cfg = cfg
        torch.manual_seed(cfg.train.seed)
        random.seed(cfg.train.seed)
        self.rank, self.world = _dist()
        self.out = Path(cfg.train.output_dir)
        self.train_records, self.eval_records, self.shots = load_records(cfg.data)
        if not self.train_records:
            raise ConfigError(f"data.source {cfg.data.source!r}: no training records")
        self.curriculum = Curriculum(self.train_records, cfg.train.curriculum)
        self._load_model(model, tokenizer)
        self._setup_optimizer()
        self.engine = self._make_engine()
        self.step = 0
        self._prompt_cache: dict[str, list[int]] = {}
        self.history: list[dict[str, Any]] = []
        self.last_eval: list[dict[str, Any]] = []

    # ----- set-up -------------------------------------------------------------------------------------------
    def _load_model(self, model, tokenizer) -> None:
        from rollout_vllm.models import resolve_model
        from transformers import AutoModelForCausalLM, AutoTokenizer

        dtype = torch.bfloat16 if self.cfg.model.dtype == "bfloat16" else torch.float32
        if model is None:
            self.model_path = resolve_model(self.cfg.model.name)
            model = AutoModelForCausalLM.from_pretrained(self.model_path, dtype=dtype)
            tokenizer = AutoTokenizer.from_pretrained(self.model_path)
        else:
            self.model_path = None
        self.tokenizer = tokenizer
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.ref = None
        if self.cfg.algo.beta > 0 and self.cfg.algo.mode == "grpo":
            self.ref = copy.deepcopy(model).eval().requires_grad_(False)
        if self.cfg.model.lora_r:
            from peft import LoraConfig, get_peft_model

            lora = LoraConfig(r=self.cfg.model.lora_r, lora_alpha=self.cfg.model.lora_alpha,
                              target_modules=self.cfg.model.lora_targets, task_type="CAUSAL_LM")  # fmt: skip
            model = get_peft_model(model, lora)
        if self.cfg.model.gradient_checkpointing:
            model.gradient_checkpointing_enable()
        self.model = model

    def _setup_optimizer(self) -> None:
        params = [p for p in self.model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=self.cfg.algo.lr, weight_decay=self.cfg.algo.weight_decay)
        self.ds = None
        if self.cfg.train.deepspeed:
            import deepspeed

            spec = self.cfg.train.deepspeed
            if spec in ("0", "1", "2", "3"):
                zero: dict[str, Any] = {"stage": int(spec)}
                if self.cfg.train.offload and int(spec) > 0:
                    zero["offload_optimizer"] = {"device": "cpu"}
                ds_config = {"train_micro_batch_size_per_gpu": 1, "gradient_accumulation_steps": 1,
                             "zero_optimization": zero, "gradient_clipping": self.cfg.algo.max_grad_norm or 0.0,
                             "bf16": {"enabled": self.cfg.model.dtype == "bfloat16"}}  # fmt: skip
            else:
                ds_config = json.loads(Path(spec).read_text())
            self.ds, optimizer, _, _ = deepspeed.initialize(model=self.model, optimizer=optimizer, config=ds_config)
        self.optimizer = optimizer

    def _make_engine(self) -> RolloutEngine:
        r = self.cfg.rollout
        self.task = get_task(r.env, tools=r.tools) if r.env == "tools" else get_task(r.env)
        if self.cfg.rollout.backend == "vllm":
            if self.cfg.model.lora_r:
                raise ConfigError("rollout.backend = 'vllm' with model.lora_r > 0: use the hf backend for LoRA")
            from rollout_vllm.vllm_backend import VLLMBackend

            backend = VLLMBackend(self.model_path or self.cfg.model.name, seed=self.cfg.train.seed)
        else:
            from rollout_vllm.hf import HFBackend

            backend = HFBackend(self._module(), self.tokenizer)  # shares the policy: no weight copy needed
        engine = RolloutEngine(backend)
        engine.env = self.task.make_env(engine, self.sampling(0))
        return engine

    def _module(self):
        return self.ds.module if self.ds is not None else self.model

    def sampling(self, step: int, greedy: bool = False) -> SamplingConfig:
        r = self.cfg.rollout
        return SamplingConfig(temperature=0.0 if greedy else r.temperature, top_p=r.top_p, max_tokens=r.max_tokens,
                              seed=self.cfg.train.seed * 1_000_003 + step * 7919 + self.rank)  # fmt: skip

    # ----- rollouts and rewards -----------------------------------------------------------------------------
    def prompt_ids(self, record: Record) -> list[int]:
        if record.id not in self._prompt_cache:
            text = self.task.prompt(record, self.tokenizer, shots=self.shots, tool_format=self.cfg.data.tool_format)
            self._prompt_cache[record.id] = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return self._prompt_cache[record.id]

    @torch.no_grad()
    def generate(self, records: list[Record], n: int, sampling: SamplingConfig):
        module = self._module()
        was_training = module.training
        module.eval()
        try:
            return self.engine.generate([self.prompt_ids(r) for r in records], n, sampling)
        finally:
            module.train(was_training)

    def evaluate(self, records: list[Record] | None = None) -> dict[str, float]:
        """Greedy accuracy on held-out records: the share the task's evaluation reward (``train.eval_reward``, by
        default the task's own, e.g. ``binary`` for tool calls, ``boxed`` for math) judges correct, whatever
        reward we train on; plus the task's own metrics."""
        records = records if records is not None else self.eval_records
        if not records:
            return {}
        samples = self.generate(records, 1, self.sampling(0, greedy=True))
        judge = self.cfg.reward.replace(reward=self.cfg.train.eval_reward or self.task.eval_reward)
        results = [score(s.response, r, judge) for s, r in zip(samples, records)]
        self.last_eval = [
            {"id": r.id, "completion": s.response, "score": x.score, "correct": x.correct, "reason": x.reason}
            for s, r, x in zip(samples, records, results)
        ]
        n = len(results)
        out = {"accuracy": sum(x.correct for x in results) / n,
               "format_ok": sum(not x.reason.startswith("format") for x in results) / n}  # fmt: skip
        return {**out, **self.task.metrics(samples)}

    # ----- one training step --------------------------------------------------------------------------------
    def mode(self) -> str:
        """``sft`` during the warm start (``algo.sft_warmup_steps``) and in SFT runs, else ``grpo``."""
        return "sft" if self.cfg.algo.mode == "sft" or self.step < self.cfg.algo.sft_warmup_steps else "grpo"

    def train_step(self) -> dict[str, Any]:
        cfg, algo = self.cfg, self.cfg.algo
        rng = random.Random(cfg.train.seed * 1_000_003 + self.step)
        records = self.curriculum.sample(cfg.train.prompts_per_step * self.world, rng)
        records = records[self.rank :: self.world]
        t0 = time.perf_counter()
        mode = self.mode()
        if mode == "grpo" and self.ref is not None and self.step == algo.sft_warmup_steps > 0:
            self.ref.load_state_dict(self._module().state_dict())  # KL to the warm-started policy
        n = cfg.rollout.n if mode == "grpo" else 1
        samples = [] if mode == "sft" else self.generate(records, n, self.sampling(self.step))
        t_gen = time.perf_counter() - t0
        metrics: dict[str, Any] = {"step": self.step + 1, "mode": mode, "time_generate": t_gen}
        groups = []
        if mode == "sft":
            for r in records:  # SFT runs: Tool-N1's no-reason SFT; warm start: written like the worked examples
                think = "" if algo.mode == "sft" else example_thought(r)
                target = self.tokenizer(sft_target(r, think=think), add_special_tokens=False)["input_ids"]
                groups.append((r, [target + [self.tokenizer.eos_token_id]], None, None, None))
        else:
            ctx = RewardContext(step=self.step, total_steps=cfg.train.steps)
            results = [score(s.response, records[k // n], cfg.reward, ctx) for k, s in enumerate(samples)]
            rewards = torch.tensor([x.score for x in results]).view(len(records), n)
            for i, r in enumerate(records):
                self.curriculum.update(r.id, [x.correct for x in results[i * n : (i + 1) * n]])
            keep = informative_groups(rewards) if algo.drop_uniform else torch.ones(len(records), dtype=torch.bool)
            adv = ADVANTAGES[algo.advantage](rewards, scale=algo.scale)
            metrics.update(reward_mean=rewards.mean().item(), accuracy=sum(x.correct for x in results) / len(results),
                           groups_kept=int(keep.sum()), completion_len=sum(len(s.completion_ids) for s in samples)
                           / max(1, len(samples)))  # fmt: skip
            for i, r in enumerate(records):
                if keep[i]:
                    grp = samples[i * n : (i + 1) * n]
                    groups.append((r, [s.completion_ids for s in grp], [s.logprobs for s in grp],
                                   [s.mask for s in grp], adv[i]))  # fmt: skip
        t1 = time.perf_counter()
        stats = self._update(groups) if groups or self.ds is not None else {}
        metrics.update(stats, time_update=time.perf_counter() - t1)
        self.step += 1
        metrics["samples"] = [{"id": records[k // n].id, "completion": s.response} for k, s in enumerate(samples)][
            : cfg.train.samples_to_log
        ]
        return metrics

    def _group_loss(self, record, completions, old, masks, adv, prefix=None, ref_prefix=None
                    ) -> tuple[torch.Tensor, dict[str, float]]:  # fmt: skip
        cfg = self.cfg.algo
        sft = old is None
        temp = 1.0 if sft else max(self.cfg.rollout.temperature, 1e-6)
        prompt = self.prompt_ids(record)
        if sft:
            logp, valid = group_logprobs(self._module(), prompt, completions, temp, cfg.logprob_chunk, self.pad_id,
                                         prefix=prefix)  # fmt: skip
            return -(logp * valid).sum() / valid.sum(), {}
        hidden, targets, valid = group_hidden(self._module(), prompt, completions, self.pad_id, prefix=prefix)
        width = targets.shape[1]

        def pad(rows, value=0.0):
            return torch.tensor([list(x) + [value] * (width - len(x)) for x in rows], dtype=torch.float32)

        mask = pad(masks) * valid
        ref_logp = None
        if self.ref is not None:
            with torch.no_grad():
                ref_logp, _ = group_logprobs(self.ref, prompt, completions, temp, cfg.logprob_chunk, self.pad_id,
                                             prefix=ref_prefix)  # fmt: skip
        return fused_grpo_loss(hidden, base_and_head(self._module())[1], targets, pad(old), adv, mask,
                               temperature=temp, chunk=cfg.logprob_chunk, ref_logp=ref_logp, beta=cfg.beta, kl=cfg.kl,
                               entropy_coef=cfg.entropy_coef, policy_loss=cfg.policy_loss, clip_low=cfg.clip_low,
                               clip_high=cfg.clip_high, agg=cfg.agg, max_len=self.cfg.rollout.max_tokens)  # fmt: skip

    def _shared_prefix(self, part) -> tuple[SharedPrefix | None, SharedPrefix | None]:
        """The prompt start every group of a mini-batch shares (system prompt, worked examples), encoded once.
        Plain torch only: DeepSpeed's engine must see every gradient inside its own backward."""
        if self.ds is not None or len(part) < 2 or not self.cfg.algo.share_prefix:
            return None, None
        prompts = [self.prompt_ids(g[0]) for g in part]
        length = min(common_prefix_len(prompts), min(len(p) for p in prompts) - 1)
        if length < 16:
            return None, None
        prefix = encode_prefix(self._module(), prompts[0][:length])
        ref_prefix = None
        if self.ref is not None and part[0][2] is not None:  # GRPO groups (SFT ones carry no old log-probs)
            with torch.no_grad():
                ref_prefix = encode_prefix(self.ref, prompts[0][:length])
        return prefix, ref_prefix

    def _update(self, groups) -> dict[str, float]:
        """``updates_per_batch`` optimizer steps over the kept groups. Under DeepSpeed every rank makes the same
        number of backward calls (one per step, a zero loss where a rank kept no group) so the gradient
        all-reduces line up."""
        algo = self.cfg.algo
        module = self._module()
        module.train()
        chunks = [groups[i :: algo.updates_per_batch] for i in range(algo.updates_per_batch)]
        totals: dict[str, float] = {}
        losses = []
        for part in chunks:
            if self.ds is None and not part:
                continue
            if self.ds is None:
                self.optimizer.zero_grad(set_to_none=True)
            total = None
            prefix, ref_prefix = self._shared_prefix(part)
            for g in part:
                loss, stats = self._group_loss(*g, prefix=prefix, ref_prefix=ref_prefix)
                loss = loss / len(part)
                losses.append(loss.item() * len(part))
                for k, v in stats.items():
                    totals[k] = totals.get(k, 0.0) + v / len(groups)
                if self.ds is None:
                    loss.backward()  # group by group: only one group's activations alive at a time
                else:
                    total = loss if total is None else total + loss
            if prefix is not None:
                prefix.backward()  # once, with what every group left on the shared key/values
            if self.ds is not None:
                if total is None:  # nothing to learn on this rank: a zero loss keeps the collectives in step
                    total = sum(p.sum() * 0.0 for p in module.parameters() if p.requires_grad)
                self.ds.backward(total)
                self.ds.step()
            else:
                if algo.max_grad_norm:
                    params = [p for p in module.parameters() if p.requires_grad]
                    totals["grad_norm"] = float(torch.nn.utils.clip_grad_norm_(params, algo.max_grad_norm))
                self.optimizer.step()
        if self.cfg.rollout.backend == "vllm":
            self.engine.update_weights((k, v.detach()) for k, v in module.named_parameters())
        if losses:
            totals["loss"] = sum(losses) / len(losses)
        return totals

    # ----- checkpoints --------------------------------------------------------------------------------------
    def save(self, path: Path | None = None) -> Path:
        path = path or self.out / f"checkpoint-{self.step}"
        path.mkdir(parents=True, exist_ok=True)
        if self.rank == 0:
            self._module().save_pretrained(path / "model")
            self.tokenizer.save_pretrained(path / "model")
        state = {"step": self.step, "pass_rate": self.curriculum.pass_rate, "history": self.history,
                 "torch_rng": torch.get_rng_state(), "python_rng": random.getstate()}  # fmt: skip
        if self.ds is not None:
            self.ds.save_checkpoint(str(path / "deepspeed"))
        else:
            state["optimizer"] = self.optimizer.state_dict()
        if self.ref is not None and 0 < self.cfg.algo.sft_warmup_steps <= self.step:
            state["reference"] = self.ref.state_dict()  # the warm-started reference is not the base model
        if self.rank == 0:
            torch.save(state, path / "trainer_state.pt")
        return path

    def load(self, path: Path) -> None:
        """Resume exactly: weights, optimizer, step, curriculum and RNG state."""
        from safetensors.torch import load_file

        state = torch.load(path / "trainer_state.pt", weights_only=False)
        module = self._module()
        if self.cfg.model.lora_r:
            from peft import set_peft_model_state_dict

            set_peft_model_state_dict(module, load_file(str(path / "model" / "adapter_model.safetensors")))
        else:
            weights = load_file(str(path / "model" / "model.safetensors"))
            missing, unexpected = module.load_state_dict(weights, strict=False)
            if unexpected or [k for k in missing if "lm_head" not in k]:
                raise ConfigError(f"checkpoint {path} does not match the model: {missing[:3]} {unexpected[:3]}")
        if self.ds is not None:
            self.ds.load_checkpoint(str(path / "deepspeed"))
        else:
            self.optimizer.load_state_dict(state["optimizer"])
        self.step, self.history = state["step"], state["history"]
        if "reference" in state and self.ref is not None:
            self.ref.load_state_dict(state["reference"])
        self.curriculum.pass_rate = state["pass_rate"]
        torch.set_rng_state(state["torch_rng"])
        random.setstate(state["python_rng"])
        if self.cfg.rollout.backend == "vllm":
            self.engine.update_weights((k, v.detach()) for k, v in module.named_parameters())


def latest_checkpoint(run_dir: Path) -> Path | None:
    ckpts = sorted(run_dir.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    return ckpts[-1] if ckpts else None


def fit(cfg: Config, *, resume: bool = False, model=None, tokenizer=None, progress: bool = True,
        stop_after: int | None = None) -> dict[str, Any]:  # fmt: skip
    """Train per ``cfg``, writing the run directory; returns the before/after report."""
    from .report import RunLogger

    trainer = Trainer(cfg, model=model, tokenizer=tokenizer)
    out = Path(cfg.train.output_dir)
    logger = RunLogger(out, cfg, enabled=trainer.rank == 0)
    if resume:
        ckpt = latest_checkpoint(out)
        if ckpt is None:
            raise ConfigError(f"--resume: no checkpoint-* in {out}")
        trainer.load(ckpt)
    report: dict[str, Any] = logger.load_report() if resume else {}
    if not resume:
        t0 = time.perf_counter()
        report["before"] = trainer.evaluate()
        report["eval_seconds"] = time.perf_counter() - t0
        logger.eval_samples(0, trainer.last_eval)
        logger.event({"step": 0, **{f"eval_{k}": v for k, v in report["before"].items()}})
    from tqdm import tqdm

    bar = tqdm(total=cfg.train.steps, initial=trainer.step, desc="grpo", disable=not progress or trainer.rank != 0)
    t_start = time.perf_counter()
    while trainer.step < cfg.train.steps:
        metrics = trainer.train_step()
        warm_end = trainer.step == cfg.algo.sft_warmup_steps and cfg.algo.mode == "grpo"
        if trainer.step < cfg.train.steps and (warm_end or (cfg.train.eval_every and
                                                            trainer.step % cfg.train.eval_every == 0)):  # fmt: skip
            result = trainer.evaluate()
            metrics.update({f"eval_{k}": v for k, v in result.items()})
            logger.eval_samples(trainer.step, trainer.last_eval)
            if warm_end:  # what the SFT warm start alone reached, so GRPO's own gain is visible
                report["after_warmup"] = result
                logger.save_report(report)
        trainer.history.append({k: v for k, v in metrics.items() if k != "samples"})
        logger.step(metrics)
        bar.update(1)
        bar.set_postfix(
            reward=f"{metrics.get('reward_mean', math.nan):.3f}", acc=f"{metrics.get('accuracy', math.nan):.2f}"
        )
        if (cfg.train.save_every and trainer.step % cfg.train.save_every == 0) or trainer.step == cfg.train.steps:
            trainer.save()
        if stop_after is not None and trainer.step >= stop_after:
            bar.close()
            logger.save_report(report)
            return report
    bar.close()
    report["train_seconds"] = report.get("train_seconds", 0.0) + time.perf_counter() - t_start
    report["after"] = trainer.evaluate()
    logger.eval_samples(trainer.step, trainer.last_eval)
    logger.event({"step": trainer.step, **{f"eval_{k}": v for k, v in report["after"].items()}})
    logger.save_report(report)
    logger.plot()
    return report


os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
