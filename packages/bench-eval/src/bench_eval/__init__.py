"""Leaderboard-comparable evaluation of tool-calling models: BFCL (single- and multi-turn), API-Bank, ACEBench and
math with code."""

__version__ = "0.1.0"

from . import acebench, apibank, bfcl, bfcl_multi_turn, mathcode  # noqa: F401 - register the benchmarks
from .core import BENCHMARKS, Benchmark, Scored, get_benchmark, read_predictions, score_all, tabulate

__all__ = ["BENCHMARKS", "Benchmark", "Scored", "get_benchmark", "read_predictions", "score_all", "tabulate"]
