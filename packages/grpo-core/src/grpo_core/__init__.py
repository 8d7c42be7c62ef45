"""grpo-core: GRPO maths, a fused log-prob kernel and a trainer."""

__version__ = "0.1.0"
