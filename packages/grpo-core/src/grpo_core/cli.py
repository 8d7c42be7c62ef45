"""``grpo-train [CONFIG.toml | RECIPE] [section.key=value ...] [--resume]`` — with no arguments, the
``quickstart`` recipe: SmolLM2-135M-Instruct learns to call unseen tools on a CPU."""

from __future__ import annotations

import argparse
import json
import sys

from .config import ConfigError, load


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="grpo-train", description=__doc__)
    p.add_argument(
        "config", nargs="?", help="recipe name (quickstart, auto-program-cpu, tool-n1, auto-program) or a TOML file"
    )
    p.add_argument("overrides", nargs="*", help="section.key=value, e.g. algo.lr=1e-6 train.steps=50")
    p.add_argument("--resume", action="store_true", help="continue from the run directory's latest checkpoint")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_intermixed_args(argv)  # overrides may follow --resume
    if args.config and "=" in args.config:  # only overrides were given
        args.overrides.insert(0, args.config)
        args.config = None
    try:
        cfg = load(args.config, args.overrides)
    except ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2
    from .trainer import fit

    try:
        report = fit(cfg, resume=args.resume, progress=not args.no_progress)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2))
    print(f"run directory: {cfg.train.output_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
