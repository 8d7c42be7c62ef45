"""Side-by-side reports of several runs: Markdown and JSON tables and a PNG bar chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolcall_schema.io import atomic_write

from .core import percent


def label(result: dict[str, Any]) -> str:
    model = Path(str(result.get("model", "predictions"))).name
    return f"{model} ({result['backend']})" if result.get("backend") else model


def _rows(results: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    cats: list[str] = []
    for r in results:
        cats += [c for c in r["categories"] if c not in cats]
    rows = []
    for c in cats:
        cells = []
        for r in results:
            v = r["categories"].get(c)
            cells.append(f"{percent(v['accuracy']):.1f} ({v['correct']}/{v['total']})" if v else "–")
        rows.append((c, cells))
    keys: list[str] = []
    for r in results:
        keys += [k for k in r["summary"] if k not in keys]
    for k in keys:
        rows.append(
            (f"**{k}**", [f"**{percent(r['summary'][k]):.1f}**" if k in r["summary"] else "–" for r in results])
        )
    skipped = [str(r["skipped"]["count"]) if "skipped" in r else "–" for r in results]
    if any(n not in ("0", "–") for n in skipped):
        rows.append(("entries skipped (bad data)", skipped))
    timing = [f"{r['generate_seconds']:.0f} s" if "generate_seconds" in r else "–" for r in results]
    if any(t != "–" for t in timing):
        rows.append(("wall time (generation)", timing))
    return rows


def markdown(results: list[dict[str, Any]]) -> str:
    """One table per benchmark, runs as columns (accuracy in %, correct/total)."""
    out = []
    by_bench: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        by_bench.setdefault(r["benchmark"], []).append(r)
    for bench, rs in by_bench.items():
        out.append(f"### {bench}\n")
        out.append("| category | " + " | ".join(label(r) for r in rs) + " |")
        out.append("|---|" + "---|" * len(rs))
        for name, cells in _rows(rs):
            out.append(f"| {name} | " + " | ".join(cells) + " |")
        disagreements = [len(r["official_disagreements"]) for r in rs if "official_disagreements" in r]
        if disagreements:
            out.append(f"\nDisagreements with BFCL's official checker: {sum(disagreements)}")
        for r in rs:
            reasons = list(r.get("failure_reasons", {}).items())[:5]
            if reasons:
                out.append(f"\nMost common failures of {label(r)}: " + ", ".join(f"`{k}` {n}" for k, n in reasons))
        for r in rs:
            entries = r.get("skipped", {}).get("entries", [])
            if entries:
                out.append(f"\nSkipped by {label(r)} ({len(entries)}, not scored):\n")
                out += [f"- {e['category']} `{e['id']}`: {e['reason']}" for e in entries[:50]]
                if len(entries) > 50:
                    out.append(f"- … {len(entries) - 50} more in results.json")
        out.append("")
    return "\n".join(out)


def plot(results: list[dict[str, Any]], path: Path) -> None:
    """Grouped bars: one group per category, one bar per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cats: list[str] = []
    for r in results:
        cats += [f"{r['benchmark']}:{c}" for c in r["categories"] if f"{r['benchmark']}:{c}" not in cats]
    width = 0.8 / max(1, len(results))
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(cats) + 2), 4))
    for i, r in enumerate(results):
        ys = [
            percent(r["categories"].get(c.split(":", 1)[1], {}).get("accuracy", 0.0))
            if c.startswith(r["benchmark"] + ":")
            else 0.0
            for c in cats
        ]
        ax.bar([x + i * width for x in range(len(cats))], ys, width, label=label(r))
    ax.set_xticks([x + width * (len(results) - 1) / 2 for x in range(len(cats))])
    ax.set_xticklabels([c.split(":", 1)[1] for c in cats], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def load_run(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / "results.json"
    if not path.exists():
        raise FileNotFoundError(f"{path}: not a bench-eval run folder (run `bench-eval run` or `score -o` first)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from None


def report(folders: list[str | Path], out: str | Path) -> dict[str, Any]:
    """``report.md``, ``report.json`` and ``report.png`` comparing the runs in ``folders``."""
    results = [load_run(f) for f in folders]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_write(out / "report.md") as f:
        f.write(markdown(results))
    with atomic_write(out / "report.json") as f:
        json.dump({"runs": [{"folder": str(d), **r} for d, r in zip(folders, results)]}, f, indent=1)
    plot(results, out / "report.png")
    return {"runs": len(results)}
