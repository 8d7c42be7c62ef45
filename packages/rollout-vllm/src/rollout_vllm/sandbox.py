"""Run untrusted model-written Python in a separate, limited process.

Each execution gets its own process (its own session and process group), a fresh temporary working
directory (removed afterwards), a scrubbed environment, rlimits on CPU seconds, address space, process
count, file size and open files, no network where the kernel lets us unshare it, and a wall-clock timeout
that kills the whole process group. Where the kernel allows namespaces the program sees a root of its own:
its work directory (writable), the interpreter, the allowed packages (``SandboxConfig.packages``, default
sympy + mpmath + numpy from the environment the caller runs in, read-only), a minimal ``/dev`` and its own
``/proc`` — no host file, home directory or process (see ``_jail.py``). Output is capped with a visible
marker. Nothing it does can raise in the caller: every outcome comes back as a :class:`SandboxResult`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

TRUNCATED = "\n...[output truncated]"
_JAIL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_jail.py")


@dataclass
class SandboxConfig:
    timeout: float = field(default=5.0, metadata={"help": "wall-clock seconds before the process group is killed"})
    cpu_seconds: int = field(default=5, metadata={"help": "RLIMIT_CPU"})
    memory_mb: int = field(default=1024, metadata={"help": "RLIMIT_AS in MiB"})
    max_processes: int = field(default=64, metadata={"help": "RLIMIT_NPROC (counted per user)"})
    file_size_mb: int = field(default=16, metadata={"help": "RLIMIT_FSIZE in MiB"})
    open_files: int = field(default=64, metadata={"help": "RLIMIT_NOFILE"})
    max_output: int = field(default=4000, metadata={"help": "characters of stdout kept"})
    network: bool = field(default=False, metadata={"help": "allow network access"})
    python: str = field(default=sys.executable, metadata={"help": "interpreter that runs the code"})
    packages: tuple[str, ...] = field(
        default=("sympy", "mpmath", "numpy"),
        metadata={
            "help": "importable packages besides the standard library, from the caller's environment "
            "(list dependencies too: sympy needs mpmath)"
        },
    )


_COMPILED: set[str] = set()


def precompile(folder: str) -> None:
    """Byte-compile a package once per process: inside the sandbox its folder is read-only, and sympy's import
    costs seconds when every module is compiled again on each run. Skipped quietly where the folder is not ours
    to write."""
    if folder in _COMPILED:
        return
    _COMPILED.add(folder)
    import compileall

    try:
        compileall.compile_dir(folder, quiet=2, workers=1)
    except OSError:
        pass


def package_dirs(names: tuple[str, ...]) -> list[str]:
    """Host folders of the named top-level packages (with a wheel's ``<name>.libs`` beside it); names not
    installed are left out, so the code's ``import`` fails as it would anywhere."""
    dirs = []
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        folder = os.path.realpath(list(spec.submodule_search_locations)[0])
        dirs.append(folder)
        libs = folder + ".libs"
        if os.path.isdir(libs):
            dirs.append(libs)
    return dirs


@dataclass
class SandboxResult:
    stdout: str
    stderr_tail: str
    exit_status: int | None
    timed_out: bool
    duration: float
    network_isolated: bool
    filesystem_isolated: bool = False
    process_isolated: bool = False
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_status == 0 and not self.timed_out

    def render(self) -> str:
        """The observation a model sees: stdout, or the error tail, or a timeout notice."""
        if self.timed_out:
            return (self.stdout + "\n" if self.stdout else "") + "[timeout] execution exceeded its time limit"
        if self.exit_status is None:
            return self.stderr_tail
        if self.exit_status < 0:
            sig = signal.Signals(-self.exit_status).name if -self.exit_status in signal.valid_signals() else "?"
            return (self.stdout + "\n" if self.stdout else "") + f"[error] killed by signal {sig}"
        if self.exit_status != 0:
            tail = self.stderr_tail.strip() or f"[error] exit status {self.exit_status}"
            return (self.stdout + "\n" if self.stdout else "") + tail
        return self.stdout


class Sandbox:
    """``Sandbox().run(code)`` → :class:`SandboxResult`. Thread-safe: each call is its own process."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.packages = package_dirs(self.config.packages)
        for folder in self.packages:
            precompile(folder)

    def run(self, code: str, stdin: str = "") -> SandboxResult:
        cfg = self.config
        workdir = tempfile.mkdtemp(prefix="toolcall-sandbox-")
        root = tempfile.mkdtemp(prefix="toolcall-root-")  # stays empty on the host: the jail mounts its root here
        mb = 1024 * 1024
        limits = {
            "RLIMIT_CPU": cfg.cpu_seconds,
            "RLIMIT_AS": cfg.memory_mb * mb,
            "RLIMIT_FSIZE": cfg.file_size_mb * mb,
            "RLIMIT_NOFILE": cfg.open_files,
            "RLIMIT_NPROC": cfg.max_processes,
            "RLIMIT_CORE": 0,
        }
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": workdir,
            "TMPDIR": workdir,
            "LANG": "C.UTF-8",
            "PYTHONIOENCODING": "utf-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        read_fd, write_fd = os.pipe()
        start = time.monotonic()
        timed_out = False
        try:
            with open(os.path.join(workdir, "main.py"), "w", encoding="utf-8") as f:
                f.write(code)
            cmd = [
                cfg.python,
                "-I",
                "-S",
                _JAIL,
                workdir,
                root,
                "1" if cfg.network else "0",
                json.dumps(limits),
                json.dumps(self.packages),
                str(write_fd),
            ]
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=workdir,
                env=env,
                start_new_session=True,
                pass_fds=(write_fd,),
            )
            os.close(write_fd)
            write_fd = -1
            try:
                out, err = proc.communicate(stdin.encode(), timeout=cfg.timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(proc.pid)
                out, err = proc.communicate()
            _kill_group(proc.pid)  # reap anything the code left running in its group
            status = proc.returncode
            flags = dict(kv.split("=") for kv in os.read(read_fd, 64).decode().split())
        except (OSError, ValueError) as e:
            return SandboxResult(
                "", f"[error] could not start the sandbox: {e}", None, False, time.monotonic() - start, False
            )
        finally:
            os.close(read_fd)
            if write_fd >= 0:
                os.close(write_fd)
            shutil.rmtree(workdir, ignore_errors=True)
            shutil.rmtree(root, ignore_errors=True)
        stdout = out.decode("utf-8", "replace")
        truncated = len(stdout) > cfg.max_output
        if truncated:
            stdout = stdout[: cfg.max_output] + TRUNCATED
        if status is not None and status > 128 and not timed_out:
            status = -(status - 128)  # the jail reports a signal death as 128 + signal
        return SandboxResult(
            stdout,
            err.decode("utf-8", "replace")[-1500:],
            status,
            timed_out,
            time.monotonic() - start,
            flags.get("net") == "1",
            flags.get("fs") == "1",
            flags.get("pid") == "1",
            truncated,
        )


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
