"""rollout-vllm: group sampling for GRPO with multi-turn tools, a sandbox and weight sync."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("rollout-vllm")
except _metadata.PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
