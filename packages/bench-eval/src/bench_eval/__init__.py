"""Leaderboard-comparable evaluation of tool-calling models: BFCL (single- and multi-turn), API-Bank, ACEBench and
math with code."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("bench-eval")
except _metadata.PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

from . import acebench, apibank, bfcl, bfcl_multi_turn, mathcode  # noqa: F401 - register the benchmarks
from .core import BENCHMARKS, Benchmark, Scored, get_benchmark, read_predictions, score_all, tabulate

__all__ = ["BENCHMARKS", "Benchmark", "Scored", "get_benchmark", "read_predictions", "score_all", "tabulate"]
