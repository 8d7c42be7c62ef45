"""Hostile code: each case comes back as an error observation within its timeout and the caller lives."""

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from rollout_vllm.sandbox import TRUNCATED, Sandbox, SandboxConfig

CFG = SandboxConfig(timeout=3.0, cpu_seconds=3, memory_mb=512)
HOSTILE = {
    "infinite_loop": ("while True:\n    pass", "[timeout]"),
    # bounded by RLIMIT_NPROC (root's programs run as nobody, so the limit holds), or else by the timeout
    "fork_bomb": ("import os\nwhile True:\n    os.fork()", ("Resource temporarily unavailable", "[timeout]")),
    "memory_bomb": ("x = bytearray(8 * 1024**3)", "MemoryError"),
    "huge_output": ("import sys\nfor _ in range(100):\n    sys.stdout.write('x' * 1_000_000)", TRUNCATED.strip()),
    "write_outside": ("open('/tmp/toolcall_sandbox_escape', 'w').write('x')", "Read-only file system"),
    "network": ("import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=2)", "Network is unreachable"),
    # the jail's parent is out of reach (another user, outside the PID namespace) or dies; the caller lives either way
    "kill_parent": (
        "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint('still here')",
        ("still here", "[error] killed by signal SIGKILL"),
    ),
    "kill_everything": ("import os, signal\nos.kill(-1, signal.SIGKILL)", "ProcessLookupError"),
    "sys_exit": ("import sys\nsys.exit(3)", "[error] exit status 3"),
    "segfault": ("import ctypes\nctypes.string_at(0)", "[error] killed by signal SIGSEGV"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_code_becomes_an_error_observation(name):
    code, expected = HOSTILE[name]
    expected = (expected,) if isinstance(expected, str) else expected
    t0 = time.monotonic()
    result = Sandbox(CFG).run(code)
    assert time.monotonic() - t0 < CFG.timeout + 3
    assert any(e in result.render() for e in expected), result
    assert not result.ok or name in ("huge_output", "kill_parent")
    assert os.getpid() and not os.path.exists("/tmp/toolcall_sandbox_escape")


def test_scientific_stack_imports_and_solves_a_cubic():
    code = "import sympy, numpy as np\nx = sympy.symbols('x')\n"
    code += "print(sympy.solve(x**3 - 6*x**2 + 11*x - 6, x), np.prod([2, 3]))"
    r = Sandbox(CFG).run(code)
    assert r.ok and r.stdout.strip() == "[1, 2, 3] 6", r


def test_packages_outside_the_allowed_set_do_not_import():
    r = Sandbox(CFG).run("import torch")
    assert not r.ok and "No module named 'torch'" in r.render()
    assert Sandbox(SandboxConfig(packages=())).run("import sympy").render().endswith("No module named 'sympy'")


def test_nothing_of_the_host_is_visible(tmp_path):
    """A file planted outside the work dir, the home directory, the project, and every host process's command
    line and environment are out of reach; the sandbox's /proc shows its own processes only."""
    planted = tmp_path / "planted_secret.txt"
    planted.write_text("s3cret")
    me = os.getpid()
    probes = {
        "planted": f"print(open({str(planted)!r}).read())",
        "home": "import os; print(os.listdir(os.path.expanduser('~root')))",
        "project": f"import os; print(os.listdir({os.getcwd()!r}))",
        "host_cmdline": f"print(open('/proc/{me}/cmdline').read())",
        "host_environ": f"print(open('/proc/{me}/environ').read())",
        "etc": "print(open('/etc/hostname').read())",
    }
    for name, code in probes.items():
        r = Sandbox(CFG).run(code)
        assert not r.ok and ("No such file or directory" in r.render() or "FileNotFoundError" in r.render()), (name, r)
    r = Sandbox(CFG).run("import os; print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))")
    assert r.ok and r.stdout.strip() == "[1]", r  # the program is PID 1 of its own namespace


def test_packages_are_read_only_and_numpy_respects_the_memory_limit():
    write = "import numpy, os\nopen(os.path.join(os.path.dirname(numpy.__file__), 'evil.py'), 'w').write('x')"
    assert "Read-only file system" in Sandbox(CFG).run(write).render()
    big = Sandbox(CFG).run("import numpy as np\nx = np.ones(2 * 1024**3 // 8)\nprint(x.sum())")
    assert not big.ok and "Unable to allocate" in big.render()


def test_isolation_is_reported_and_work_dir_is_writable_and_removed():
    r = Sandbox(CFG).run("import os\nopen('a.txt', 'w').write('hi')\nprint(open('a.txt').read(), os.getcwd())")
    assert r.ok and r.stdout.startswith("hi ")
    assert r.network_isolated and r.filesystem_isolated and r.process_isolated
    assert not os.path.exists(r.stdout.split()[1])


def test_environment_is_scrubbed():
    os.environ["TOOLCALL_SECRET"] = "s3cret"
    out = Sandbox(CFG).run("import os; print(os.environ.get('TOOLCALL_SECRET'), os.environ.get('HOME'))").stdout
    home = out.split()[1]
    assert out.split()[0] == "None" and (home == "/sandbox" or "toolcall-sandbox-" in home)


def test_runs_concurrently_while_other_work_continues():
    sb = Sandbox(CFG)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(sb.run, ["while True: pass", "print(6 * 7)", "print('ok')", "import sys; sys.exit(1)"]))
    assert [r.timed_out for r in results] == [True, False, False, False]
    assert results[1].stdout.strip() == "42"


@pytest.mark.skipif(os.getuid() != 0, reason="the switch to nobody happens when the caller is root")
def test_root_callers_programs_run_as_nobody_so_the_process_limit_holds():
    r = Sandbox(CFG).run("import os\nprint(os.getuid(), os.getgid(), os.getgroups())\nopen('f', 'w').write('ok')")
    assert r.ok and r.stdout.split()[:2] == ["65534", "65534"], r
