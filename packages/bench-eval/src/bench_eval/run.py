"""Generate a benchmark's answers with a model (``hf`` or ``vllm`` backend), then score and write a run folder:
``predictions.jsonl`` (appended batch by batch: a rerun continues where it stopped), ``scores.jsonl``,
``results.json`` and ``report.md``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from toolcall_schema import Record
from toolcall_schema.io import atomic_write

from .core import Benchmark, Scored, read_predictions, score_all, tabulate


def model_folder(model: str) -> str:
    """The model to load for ``--model``: a ``grpo-train`` run directory means its latest checkpoint's model, a
    checkpoint its ``model`` folder; anything else (an HF folder, a hub id, a name) is used as given."""
    path = Path(model)
    if (path / "model" / "config.json").is_file():
        return str(path / "model")
    ckpts = sorted(path.glob("checkpoint-*/model"), key=lambda p: int(p.parent.name.split("-")[1]))
    return str(ckpts[-1]) if ckpts else model


def context_window(model: str) -> int:
    """The model's context length (its config's ``max_position_embeddings``, at most 32k; 2048 if unknown)."""
    from rollout_vllm.models import resolve_model
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(resolve_model(model))
    except (OSError, ValueError):
        return 2048
    return min(int(getattr(config, "max_position_embeddings", 2048) or 2048), 32768)


def prompt_of(bench: Benchmark, source: str | None):
    """How the entries are prompted: the :class:`~rollout_vllm.tasks.PromptSpec` a training run saved beside
    ``source`` (its run directory, a checkpoint, a model folder), else the task's default prompt."""
    from rollout_vllm.tasks import PromptSpec

    fits = {"python": ("python", "coder"), "multi_turn": ("bfcl_multi_turn",)}.get(bench.output, ("function_call",))
    spec = PromptSpec.find(source) if source and Path(source).exists() else None
    if spec is not None and spec.task not in fits:
        raise ValueError(f"{source}: the run trained the {spec.task!r} task, {bench.name} needs {' or '.join(fits)}")
    return spec or PromptSpec(fits[0])


def generate(
    bench: Benchmark,
    records: list[Record],
    model: str,
    backend: str,
    out: Path,
    *,
    max_tokens: int | None = None,
    max_step_tokens: int | None = None,
    batch_size: int = 16,
    progress: bool = True,
    prompt_from: str | None = None,
) -> dict[str, Any]:
    """Greedy answers for ``records`` not yet in ``out/predictions.jsonl``; returns timing facts. The prompt is the
    one saved by the run ``prompt_from`` names (default: ``model`` itself, when it is a run or checkpoint).
    ``max_tokens``: the completion budget per entry (default: the benchmark's); for multi-turn conversations it
    counts every step and injected message, and vLLM gets the model's whole context window."""
    from rollout_vllm.core import SamplingConfig
    from rollout_vllm.engine import RolloutEngine, make_backend

    out.mkdir(parents=True, exist_ok=True)
    path = out / "predictions.jsonl"
    done = read_predictions(path) if path.exists() else {}
    todo = [r for r in records if r.id not in done]
    t_load = time.perf_counter()
    spec = prompt_of(bench, prompt_from or model)
    folder = model_folder(model)
    options = {"max_model_len": context_window(folder)} if backend == "vllm" and bench.output == "multi_turn" else {}
    engine = RolloutEngine(make_backend(folder, backend, **options))
    task = spec.make_task()
    rounds = {"python": 4, "multi_turn": 1000}.get(bench.output, 1)  # multi-turn: the environment's own caps
    sampling = SamplingConfig(
        temperature=0.0,
        max_tokens=max_tokens or bench.default_max_tokens,
        max_turns=rounds,
        max_step_tokens=bench.default_max_step_tokens if max_step_tokens is None else max_step_tokens,
    )
    env = task.make_env(engine, sampling)
    t0 = time.perf_counter()
    tokens = 0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=f"{bench.name} {backend}", unit="entry")
    with open(path, "a", encoding="utf-8") as f:
        for i in range(0, len(todo), batch_size):
            chunk = todo[i : i + batch_size]
            prompts = [spec.render(r, engine.tokenizer, bench.system_prompt(r), task) for r in chunk]
            samples = engine.generate(prompts, 1, sampling, env=env, contexts=chunk)
            for r, s in zip(chunk, samples):
                output = json.dumps(s.episode, ensure_ascii=False) if s.episode is not None else s.response
                f.write(json.dumps({"id": r.id, "output": output}, ensure_ascii=False) + "\n")
                tokens += len(s.completion_ids)
            f.flush()
            if bar:
                bar.update(len(chunk))
    if bar:
        bar.close()
    return {
        "prompt": {"task": spec.task, "tool_format": spec.tool_format, "think": spec.think, "shots": len(spec.shots)},
        "sampling": {"max_tokens": sampling.max_tokens, "max_step_tokens": sampling.max_step_tokens},
        "generated": len(todo),
        "already_done": len(done),
        "load_seconds": t0 - t_load,
        "generate_seconds": time.perf_counter() - t0,
        "completion_tokens": tokens,
    }


def evaluate(
    bench: Benchmark, records: list[Record], predictions: dict[str, str], official: bool = False
) -> tuple[list[Scored], dict[str, Any]]:
    """Per-entry verdicts and the result table (with BFCL's official-checker disagreements if asked)."""
    scored = score_all(bench, records, predictions)
    result = tabulate(bench, scored)
    if official:
        from .official import disagreements

        result["official_disagreements"] = disagreements(records, predictions)
    return scored, result


def write_results(
    bench: Benchmark,
    records: list[Record],
    predictions: dict[str, str],
    out: Path,
    info: dict[str, Any],
    official: bool = False,
) -> dict[str, Any]:
    """Score, and write ``scores.jsonl``, ``results.json`` and ``report.md`` into ``out``."""
    from .report import markdown

    out.mkdir(parents=True, exist_ok=True)
    scored, result = evaluate(bench, records, predictions, official)
    result.update(info)
    with atomic_write(out / "scores.jsonl") as f:
        for s in scored:
            f.write(json.dumps(s.to_dict(), ensure_ascii=False) + "\n")
    with atomic_write(out / "results.json") as f:
        json.dump(result, f, indent=1)
    with atomic_write(out / "report.md") as f:
        f.write(markdown([result]))
    return result
