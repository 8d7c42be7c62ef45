"""Tool-N1's table in miniature, on this machine: at an equal update budget (the quickstart's ``train.steps``),
SFT only vs GRPO only vs SFT → GRPO, binary vs fine-grained reward, with vs without the ``<think>`` format.

Each variant is one ``grpo-train`` run of the quickstart recipe with a few overrides, scored on its own held-out
synthetic set (its ``report.json``) and on five BFCL categories by ``bench-eval run`` with the prompt it trained
on; the base model is scored on BFCL with the default variant's prompt. A run that finished is not run again, and
rows already in ``ablation.json`` for variants or seeds not run this time are kept.

    python benchmarks/ablation.py --seeds 0 1       # or: uvx nox -s ablation -- --seeds 0 1

Runs go to ``runs/ablation/``; the table goes to ``benchmarks/results/ablation.{json,md,png}``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
import time
from pathlib import Path

VARIANTS: dict[str, list[str]] = {
    "SFT -> GRPO (fine reward, think)": [],
    "SFT only": ["algo.mode=sft"],
    "GRPO only": ["algo.sft_warmup_steps=0"],
    "SFT -> GRPO, binary reward": ["reward.reward=binary"],
    "SFT -> GRPO, no think": ["rollout.think=false", "reward.require_think=false"],
}
BFCL = "bfcl:simple_python,multiple,parallel,live_simple,irrelevance"
AST = ("simple_python", "multiple", "parallel", "live_simple")


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def run(cmd: list[str], log: Path) -> None:
    with log.open("w") as f:
        subprocess.run(cmd, check=True, stdout=f, stderr=subprocess.STDOUT)


def bfcl(model: str, out: Path, limit: int, backend: str, prompt_from: Path | None = None) -> dict[str, float]:
    """AST accuracy per category, their mean, and irrelevance, for ``model`` scored with its run's prompt."""
    if not (out / "results.json").exists():
        cmd = [sys.executable, "-m", "bench_eval.cli", "run", "--model", model, "--benchmark", BFCL]
        cmd += ["--limit", str(limit), "--max-tokens", "128", "--backend", backend, "-o", str(out)]
        run(cmd + (["--prompt-from", str(prompt_from)] if prompt_from else []), out.with_suffix(".log"))
    cats = json.loads((out / "results.json").read_text())["categories"]
    result = {c: cats[c]["accuracy"] for c in cats}
    result["ast_mean"] = sum(result[c] for c in AST) / len(AST)
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), help="names from VARIANTS")
    p.add_argument("--bfcl-limit", type=int, default=50, help="entries per BFCL category")
    p.add_argument("--out", default="runs/ablation", help="run directories and their BFCL scores")
    p.add_argument("--results", default="benchmarks/results", help="where ablation.{json,md,png} go")
    p.add_argument("overrides", nargs="*", help="section.key=value applied to every variant")
    a = p.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    backend = "vllm" if importlib.util.find_spec("vllm") else "hf"
    results = Path(a.results)
    table = json.loads((results / "ablation.json").read_text()) if (results / "ablation.json").exists() else []
    rows = []
    for seed in a.seeds:
        for name in a.variants:
            run_dir = out / f"{slug(name)}-s{seed}"
            t0 = time.perf_counter()
            if not (run_dir / "report.json").exists() or "after" not in json.loads(
                (run_dir / "report.json").read_text()
            ):
                cmd = [sys.executable, "-m", "grpo_core.cli", "quickstart", *VARIANTS[name], *a.overrides]
                cmd += [f"train.seed={seed}", f"train.output_dir={run_dir}", "--no-progress"]
                run(cmd, out / f"{run_dir.name}.log")
            wall = time.perf_counter() - t0
            report = json.loads((run_dir / "report.json").read_text())
            scores = bfcl(str(run_dir), out / f"bfcl-{run_dir.name}", a.bfcl_limit, backend)
            rows.append({"variant": name, "seed": seed, "wall_seconds": wall, "bfcl": scores, **report})
        # The base model gets the default variant's prompt (else the first run's): the before column of the table.
        if any(r["variant"] == "base model" and r["seed"] == seed for r in table):
            continue
        runs = [out / f"{slug(name)}-s{seed}" for name in [next(iter(VARIANTS)), *a.variants]]
        prompt_run = next(r for r in runs if r.exists())
        base = bfcl("smollm2-135m-instruct", out / f"bfcl-base-s{seed}", a.bfcl_limit, backend, prompt_run)
        before = json.loads((prompt_run / "report.json").read_text())["before"]  # held-out, with the same prompt
        rows.append({"variant": "base model", "seed": seed, "bfcl": base, "after": before})
    results.mkdir(parents=True, exist_ok=True)
    rows = merge(table, rows)
    (results / "ablation.json").write_text(json.dumps(rows, indent=1) + "\n")
    write_table(rows, results)


def merge(old: list[dict], rows: list[dict]) -> list[dict]:
    """The table so far with this run's rows added: a (variant, seed) measured again replaces its old row, rows of
    variants and seeds not run this time are kept (the base model's too), and the order is by seed, then VARIANTS."""
    fresh = {(r["variant"], r["seed"]) for r in rows}
    merged = [r for r in old if (r["variant"], r["seed"]) not in fresh] + rows
    order = [*VARIANTS, "base model"]
    return sorted(merged, key=lambda r: (r["seed"], order.index(r["variant"]) if r["variant"] in order else len(order)))


def pct(x: dict | None) -> str:
    if not x:
        return "–"
    return f"{100 * x['accuracy']:.1f}% [{100 * x['accuracy_low']:.1f}, {100 * x['accuracy_high']:.1f}]"


def write_table(rows: list[dict], out: Path) -> None:
    lines = [
        "| variant | seed | held-out: before (its prompt) | after warm start | after | BFCL AST mean | irrelevance |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        b = r["bfcl"]
        lines.append(
            f"| {r['variant']} | {r['seed']} | {pct(r.get('before'))} | {pct(r.get('after_warmup'))} "
            f"| {pct(r.get('after'))} "
            f"| {100 * b['ast_mean']:.1f}% | {100 * b['irrelevance']:.1f}% |"
        )
    (out / "ablation.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_variant: dict[str, list[dict]] = {}
    for r in rows:
        by_variant.setdefault(r["variant"], []).append(r)
    fig, ax = plt.subplots(figsize=(8, 3.8))
    width = 0.38
    for k, (label, get) in enumerate(
        [("held-out accuracy", lambda r: r["after"]["accuracy"]), ("BFCL AST mean", lambda r: r["bfcl"]["ast_mean"])]
    ):
        means = [sum(map(get, runs)) / len(runs) for runs in by_variant.values()]
        ax.bar([i + (k - 0.5) * width for i in range(len(means))], means, width, label=label)
    labels = [
        n.replace(", ", ",\n").replace(" (", "\n(") + f"\nseeds {sorted(r['seed'] for r in runs)}"
        for n, runs in by_variant.items()
    ]
    ax.set_xticks(range(len(labels)), labels, fontsize=7)
    ax.set_ylabel("accuracy (mean over seeds)")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(out / "ablation.png", dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
