"""``grpo-export RUN_DIR|CHECKPOINT OUT`` — a trained policy as a plain Hugging Face model folder.

The run's latest checkpoint (or the one named) is written to ``OUT`` with its tokenizer and the run's
``prompt.json``, so ``bench-eval run --model OUT`` prompts it as it was trained and any HF or vLLM loader serves
it. A LoRA checkpoint is merged into its base model first (the same merge the trainer syncs into vLLM).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from .trainer import latest_checkpoint


def export(source: str | Path, out: str | Path) -> Path:
    """Write the policy of ``source`` (a run directory or a ``checkpoint-K`` folder) to ``out``; returns ``out``."""
    source, out = Path(source), Path(out)
    checkpoint = source if (source / "model").is_dir() else latest_checkpoint(source)
    if checkpoint is None:
        raise FileNotFoundError(f"{source}: neither a checkpoint nor a run directory with checkpoint-* folders")
    model_dir = checkpoint / "model"
    out.mkdir(parents=True, exist_ok=True)
    if (model_dir / "adapter_config.json").is_file():
        from peft import AutoPeftModelForCausalLM
        from transformers import AutoTokenizer

        from .weights import served_weights

        policy = AutoPeftModelForCausalLM.from_pretrained(model_dir)
        merged = dict(served_weights(policy))
        base = policy.get_base_model()
        base.load_state_dict(merged, strict=False)  # a tied head shares the embedding's merged weight
        base.save_pretrained(out)
        AutoTokenizer.from_pretrained(model_dir).save_pretrained(out)
    else:
        shutil.copytree(model_dir, out, dirs_exist_ok=True)
    for folder in (checkpoint, checkpoint.parent):
        if (folder / "prompt.json").is_file():
            shutil.copy2(folder / "prompt.json", out / "prompt.json")
            break
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="grpo-export", description=__doc__)
    p.add_argument("source", help="a grpo-train run directory (its latest checkpoint) or a checkpoint-K folder")
    p.add_argument("out", help="the model folder to write")
    a = p.parse_args(argv)
    try:
        print(export(a.source, a.out))
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
