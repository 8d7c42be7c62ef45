"""toolcall-reward: rewards that judge meaning, not spelling."""

from importlib import metadata as _metadata

from . import code_interpreter, multi_turn, tooln1  # noqa: F401  (register the code-interpreter, BFCL multi-turn and Tool-N1 rewards)
from .bfcl import check_call, match_bfcl
from .canonical import canonical
from .config import RewardConfig
from .match import MATCHERS, MatchResult, match_calls
from .rewards import REWARDS, RewardContext, RewardResult, register_reward, score, score_batch
from .trl import trl_reward

try:
    __version__ = _metadata.version("toolcall-reward")
except _metadata.PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "MATCHERS",
    "REWARDS",
    "MatchResult",
    "RewardConfig",
    "RewardContext",
    "RewardResult",
    "canonical",
    "check_call",
    "match_bfcl",
    "match_calls",
    "register_reward",
    "score",
    "score_batch",
    "trl_reward",
]
