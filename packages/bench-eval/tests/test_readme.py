import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_prints_what_it_says():
    pytest.importorskip("bfcl_eval", reason="bfcl-eval is not installed")
    code = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)[0]
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "{'correct': 1, 'total': 2, 'accuracy': 0.5}"
