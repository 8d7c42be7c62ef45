"""grpo-core: GRPO maths, a fused log-prob kernel and a trainer."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("grpo-core")
except _metadata.PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
