"""Text markers shared by the code-interpreter rollout environment and its rewards (SimpleGRPO style).

The model writes fenced Python while it reasons; the environment runs it and splices the output back
in an ``output`` fence right after it; the final answer goes in ``<answer>`` with a ``\\boxed{}`` value.
"""

CODE_OPEN = "```python"
OUTPUT_OPEN = "```output"
FENCE_CLOSE = "```"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"
ERROR_MARKERS = ("Traceback (most recent call last)", "[timeout]", "[error]")
