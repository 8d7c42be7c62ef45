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


def prompt_of(bench: Benchmark, source: str | None):
    """How the entries are prompted: the :class:`~rollout_vllm.tasks.PromptSpec` a training run saved beside
    ``source`` (its run directory, a checkpoint, a model folder), else the task's default prompt."""
    from rollout_vllm.tasks import PromptSpec

    fits = ("python", "coder") if bench.output == "python" else ("function_call",)
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
    max_tokens: int = 256,
    batch_size: int = 16,
    progress: bool = True,
    prompt_from: str | None = None,
) -> dict[str, Any]:
    """Greedy answers for ``records`` not yet in ``out/predictions.jsonl``; returns timing facts. The prompt is the
    one saved by the run ``prompt_from`` names (default: ``model`` itself, when it is a run or checkpoint)."""
    from rollout_vllm.core import SamplingConfig
    from rollout_vllm.engine import RolloutEngine, make_backend

    out.mkdir(parents=True, exist_ok=True)
    path = out / "predictions.jsonl"
    done = read_predictions(path) if path.exists() else {}
    todo = [r for r in records if r.id not in done]
    t_load = time.perf_counter()
    spec = prompt_of(bench, prompt_from or model)
    engine = RolloutEngine(make_backend(model_folder(model), backend))
    task = spec.make_task()
    sampling = SamplingConfig(temperature=0.0, max_tokens=max_tokens, max_turns=4 if bench.output == "python" else 1)
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
            samples = engine.generate(prompts, 1, sampling, env=env)
            for r, s in zip(chunk, samples):
                f.write(json.dumps({"id": r.id, "output": s.response}, ensure_ascii=False) + "\n")
                tokens += len(s.completion_ids)
            f.flush()
            if bar:
                bar.update(len(chunk))
    if bar:
        bar.close()
    return {
        "prompt": {"task": spec.task, "tool_format": spec.tool_format, "think": spec.think, "shots": len(spec.shots)},
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
