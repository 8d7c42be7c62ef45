"""Hostile code: each case comes back as an error observation within its timeout and the caller lives."""

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from rollout_vllm.sandbox import TRUNCATED, Sandbox, SandboxConfig

CFG = SandboxConfig(timeout=3.0, cpu_seconds=3, memory_mb=512)
HOSTILE = {
    "infinite_loop": ("while True:\n    pass", "[timeout]"),
    "fork_bomb": ("import os\nwhile True:\n    os.fork()", "[timeout]"),
    "memory_bomb": ("x = bytearray(8 * 1024**3)", "MemoryError"),
    "huge_output": ("import sys\nfor _ in range(100):\n    sys.stdout.write('x' * 1_000_000)", TRUNCATED.strip()),
    "write_outside": ("open('/tmp/toolcall_sandbox_escape', 'w').write('x')", "Read-only file system"),
    "network": ("import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=2)", "Network is unreachable"),
    "kill_parent": ("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)", "[error] killed by signal SIGKILL"),
    "kill_everything": ("import os, signal\nos.kill(-1, signal.SIGKILL)", "ProcessLookupError"),
    "sys_exit": ("import sys\nsys.exit(3)", "[error] exit status 3"),
    "segfault": ("import ctypes\nctypes.string_at(0)", "[error] killed by signal SIGSEGV"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_code_becomes_an_error_observation(name):
    code, expected = HOSTILE[name]
    t0 = time.monotonic()
    result = Sandbox(CFG).run(code)
    assert time.monotonic() - t0 < CFG.timeout + 3
    assert expected in result.render(), result
    assert not result.ok or name == "huge_output"
    assert os.getpid() and not os.path.exists("/tmp/toolcall_sandbox_escape")


def test_isolation_is_reported_and_work_dir_is_writable_and_removed():
    r = Sandbox(CFG).run("import os\nopen('a.txt', 'w').write('hi')\nprint(open('a.txt').read(), os.getcwd())")
    assert r.ok and r.stdout.startswith("hi ")
    assert r.network_isolated and r.filesystem_isolated and r.process_isolated
    assert not os.path.exists(r.stdout.split()[1])


def test_environment_is_scrubbed():
    os.environ["TOOLCALL_SECRET"] = "s3cret"
    out = Sandbox(CFG).run("import os; print(os.environ.get('TOOLCALL_SECRET'), os.environ.get('HOME'))").stdout
    assert out.split()[0] == "None" and "toolcall-sandbox-" in out


def test_runs_concurrently_while_other_work_continues():
    sb = Sandbox(CFG)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(sb.run, ["while True: pass", "print(6 * 7)", "print('ok')", "import sys; sys.exit(1)"]))
    assert [r.timed_out for r in results] == [True, False, False, False]
    assert results[1].stdout.strip() == "42"
