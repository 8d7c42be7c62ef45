"""The GPU check's CPU rehearsal: the same code paths at small shapes (the Triton kernels under the interpreter), so
the script a GPU machine runs once is known to work before it gets there."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.py"


def test_kernels_part_agrees_with_the_naive_path_on_cpu(tmp_path):
    from packaging.version import Version

    triton = pytest.importorskip("triton")
    numpy = pytest.importorskip("numpy")
    if Version(triton.__version__) < Version("3.7") and Version(numpy.__version__) >= Version("2.4"):
        pytest.skip("triton's interpreter before 3.7 calls int() on 1-d arrays, which NumPy 2.4 refuses")
    out = tmp_path / "gpu_check.json"
    cmd = [sys.executable, str(SCRIPT), "--device", "cpu", "--small", "--parts", "kernels", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    kernels = json.loads(out.read_text())["kernels"]
    assert "error" not in kernels, kernels.get("error")
    assert kernels["ok"], kernels
    assert kernels["float32"]["grad_logits"] < 1e-5 and kernels["float32"]["grpo_grad_weight"] < 1e-5
