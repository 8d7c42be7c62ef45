"""Run-directory outputs: config, metrics.jsonl, TensorBoard events, sampled training completions, held-out
completions per evaluation (``eval_samples.jsonl``), reward curve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .config import Config


class RunLogger:
    def __init__(self, out: Path, cfg: Config, enabled: bool = True) -> None:
        self.out, self.enabled = out, enabled
        self.writer = None
        if not enabled:
            return
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2) + "\n")
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(out / "tensorboard"))
        except ImportError:  # pragma: no cover - tensorboard is a dependency; keep running without it
            self.writer = None

    def _append(self, name: str, row: dict[str, Any]) -> None:
        with (self.out / name).open("a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")

    def event(self, row: dict[str, Any]) -> None:
        if not self.enabled:
            return
        self._append("metrics.jsonl", row)
        if self.writer is not None:
            for k, v in row.items():
                if isinstance(v, (int, float)) and k != "step":
                    self.writer.add_scalar(k, v, row.get("step", 0))
            self.writer.flush()

    def step(self, metrics: dict[str, Any]) -> None:
        if not self.enabled:
            return
        self.event({k: v for k, v in metrics.items() if k != "samples"})
        for s in metrics.get("samples", []):
            self._append("samples.jsonl", {"step": metrics["step"], **s})

    def eval_samples(self, step: int, rows: list[dict[str, Any]]) -> None:
        """Every held-out completion of one evaluation, with its score and the reward's reason."""
        if self.enabled:
            for row in rows:
                self._append("eval_samples.jsonl", {"step": step, **row})

    def load_report(self) -> dict[str, Any]:
        path = self.out / "report.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def save_report(self, report: dict[str, Any]) -> None:
        if self.enabled:
            (self.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")

    def plot(self) -> None:
        if not self.enabled:
            return
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        rows = [json.loads(line) for line in (self.out / "metrics.jsonl").read_text().splitlines()]
        fig, ax = plt.subplots(figsize=(6, 3.5))
        steps = [r["step"] for r in rows if "reward_mean" in r]
        reward = [r["reward_mean"] for r in rows if "reward_mean" in r]
        ax.plot(steps, reward, color="C0", alpha=0.35, label="train reward (mean)")
        window = 5  # a few prompts per step make one step's mean noisy: the trend is the running mean
        running = [
            sum(reward[max(0, i - window + 1) : i + 1]) / len(reward[max(0, i - window + 1) : i + 1])
            for i in range(len(reward))
        ]
        ax.plot(steps, running, color="C0", linewidth=2, label=f"train reward ({window}-step running mean)")
        ax.plot(
            steps, [r["accuracy"] for r in rows if "reward_mean" in r], ":", color="C1", label="train samples correct"
        )
        ev = [r for r in rows if "eval_accuracy" in r]
        if ev:
            acc = [r["eval_accuracy"] for r in ev]
            err = None
            if all("eval_accuracy_low" in r for r in ev):  # the 95% Wilson interval
                err = [
                    [a - r["eval_accuracy_low"] for a, r in zip(acc, ev)],
                    [r["eval_accuracy_high"] - a for a, r in zip(acc, ev)],
                ]
            ax.errorbar(
                [r["step"] for r in ev],
                acc,
                yerr=err,
                fmt="o--",
                color="C2",
                capsize=3,
                label="held-out accuracy (95% CI)",
            )
        ax.set_xlabel("step")
        ax.set_ylabel("reward / accuracy")
        ax.legend(fontsize="small")
        fig.tight_layout()
        fig.savefig(self.out / "reward_curve.png", dpi=120)
        plt.close(fig)
