"""Leaderboard-comparable evaluation of tool-calling models: BFCL, API-Bank, ACEBench and math with code."""

__version__ = "0.1.0"

from . import acebench, apibank, bfcl, mathcode  # noqa: F401 - register the benchmarks
from .core import BENCHMARKS, Benchmark, Scored, get_benchmark, read_predictions, score_all, tabulate

__all__ = ["BENCHMARKS", "Benchmark", "Scored", "get_benchmark", "read_predictions", "score_all", "tabulate"]
