import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs():
    code = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)[0]
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    loss, clip = proc.stdout.split()
    assert float(loss) == 0.0 and float(clip) == 0.0  # ratio 1 and centred advantages: zero loss, nothing clipped
