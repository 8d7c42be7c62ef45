"""rollout-vllm: group sampling for GRPO with multi-turn tools, a sandbox and weight sync."""

__version__ = "0.1.0"
