"""Sandbox bootstrap, run as ``python -I -S _jail.py WORKDIR ROOT NETWORK(0/1) LIMITS_JSON PACKAGES_JSON STATUS_FD``
with the code in WORKDIR/main.py. Trusted code: it isolates itself, then runs the untrusted program as PID 1 of a
new PID namespace with every capability dropped. Standard library only.

1. new mount, network (unless allowed) and PID namespaces (inside a user namespace when not root);
2. a new root on a tmpfs at ROOT (an empty directory) holding only: the work directory at ``/sandbox``
   (writable), the interpreter's own prefix and the system libraries it links against, each allowed package at
   ``/pkgs/<name>`` (read-only), ``/dev/null``, ``/dev/zero``, ``/dev/urandom``, ``/dev/random``, and an empty
   ``/tmp``; the root itself read-only. The interpreter's own ``site-packages`` is hidden;
3. fork: the child is PID 1 of the new namespace, mounts its own ``/proc`` (it sees only its own processes),
   enters the new root, drops all capabilities (bounding set, then capset to zero), runs as ``nobody`` when
   started as root (root is exempt from RLIMIT_NPROC), sets no_new_privs and rlimits, and execs the interpreter
   on main.py with ``/pkgs`` at the end of ``sys.path``;
4. the parent waits and exits with the child's status (a signal death becomes 128 + signal).

Where the kernel refuses the namespaces, the program runs in WORKDIR with the host's filesystem read-only (or, failing
that, as it is). It writes one status line to STATUS_FD before the untrusted code starts: ``fs=0/1 net=0/1 pid=0/1``
(``fs=1``: the new root is in place).
"""

import ctypes
import json
import os
import resource
import sys

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1,
    2,
    4,
    8,
    32,
    4096,
    16384,
    1 << 18,
)
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38
NOBODY = 65534  # root's programs run as this user: the kernel exempts uid 0 from RLIMIT_NPROC (fork bombs)
DEVICES = ("null", "zero", "urandom", "random")
# The program's own frames only: the boot's exec frame is dropped from tracebacks.
BOOT = (
    "import sys\n"
    "sys.path.extend(sys.argv[2:])\n"
    "def _hook(t, v, tb, _orig=sys.excepthook):\n"
    "    tb = tb.tb_next if tb is not None and tb.tb_next is not None else tb\n"
    "    _orig(t, v.with_traceback(tb), tb)\n"
    "sys.excepthook = _hook\n"
    "src = open(sys.argv[1], encoding='utf-8').read()\n"
    "sys.argv = [sys.argv[1]]\n"
    "del _hook\n"
    "exec(compile(src, sys.argv[0], 'exec'), {'__name__': '__main__', '__file__': sys.argv[0]})\n"
)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


class _Mounter:
    def __init__(self, libc) -> None:
        self.libc = libc

    def mount(self, source, target: str, fstype, flags: int, data=None) -> bool:
        args = [x.encode() if isinstance(x, str) else x for x in (source, target, fstype)]
        return self.libc.mount(*args, flags, data.encode() if data else None) == 0

    def bind(self, source: str, target: str, writable: bool = False, nodev: bool = True) -> bool:
        """``source`` at ``target`` (created as a directory or an empty file), read-only unless ``writable``."""
        if os.path.isdir(source):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "a").close()
        if not self.mount(source, target, None, MS_BIND | MS_REC):
            return False
        flags = MS_BIND | MS_REMOUNT | MS_NOSUID | (MS_NODEV if nodev else 0) | (0 if writable else MS_RDONLY)
        return self.mount(None, target, None, flags)


def _system_libraries() -> list[tuple[str, str | None]]:
    """Top-level library folders the interpreter links against: (path, symlink target or None)."""
    out = []
    for top in ("/lib", "/lib64", "/lib32", "/usr/lib", "/usr/lib64", "/usr/lib32"):
        if os.path.islink(top):
            out.append((top, os.readlink(top)))
        elif os.path.isdir(top):
            out.append((top, None))
    return out


def build_root(m: _Mounter, root: str, workdir: str, packages: list[str]) -> bool:
    """The new root described in the module docstring, at ``root``; False if any part of it fails."""
    if not m.mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755"):
        return False
    ok = m.bind(workdir, root + "/sandbox", writable=True)
    prefix = os.path.realpath(sys.base_prefix)
    ok = ok and m.bind(prefix, root + prefix)
    for sub in (f"lib/python{sys.version_info[0]}.{sys.version_info[1]}/site-packages", "lib/site-packages"):
        hidden = os.path.join(root + prefix, sub)
        if os.path.isdir(hidden):
            ok = ok and m.mount("tmpfs", hidden, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k")
    for path, link in _system_libraries():
        if link is not None:
            os.makedirs(os.path.dirname(root + path), exist_ok=True)
            os.symlink(link, root + path)
        elif not os.path.realpath(path).startswith(prefix + "/"):
            ok = ok and m.bind(path, root + path)
    for pkg in packages:
        ok = ok and m.bind(pkg, root + "/pkgs/" + os.path.basename(pkg))
    for dev in DEVICES:
        if os.path.exists("/dev/" + dev):
            ok = ok and m.bind("/dev/" + dev, root + "/dev/" + dev, writable=True, nodev=False)
    for empty in ("/proc", "/tmp", "/pkgs"):
        os.makedirs(root + empty, exist_ok=True)
    return ok and m.mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def host_read_only(m: _Mounter, workdir: str) -> bool:
    """Fallback: every host mount read-only except the work directory."""
    ok = m.mount(workdir, workdir, None, MS_BIND)
    if ok:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as f:
            points = [line.split()[1].encode("latin-1").decode("unicode_escape") for line in f]
        for point in points:
            if point != workdir and not m.mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY):
                ok = ok and point != "/"
    return ok


def main() -> None:
    workdir, root, network = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
    limits, packages, status_fd = json.loads(sys.argv[4]), json.loads(sys.argv[5]), int(sys.argv[6])
    libc = ctypes.CDLL(None, use_errno=True)
    m = _Mounter(libc)
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWNS | CLONE_NEWPID | (0 if network else CLONE_NEWNET)
    ns = libc.unshare(flags) == 0
    if not ns and uid != 0:
        ns = libc.unshare(flags | CLONE_NEWUSER) == 0
        if ns:  # map ourselves to root inside the user namespace
            for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
                try:
                    with open(f"/proc/self/{name}", "w") as f:
                        f.write(text)
                except OSError:
                    pass
    new_root = False
    if ns and m.mount(None, "/", None, MS_REC | MS_PRIVATE):
        new_root = build_root(m, root, workdir, packages)
        if not new_root:
            m.libc.umount2(root.encode(), 2)  # MNT_DETACH: fall back to the host's filesystem, read-only
            host_read_only(m, workdir)
    python = os.path.realpath(sys.executable)
    as_nobody = uid == 0
    if as_nobody:
        os.chown(workdir, NOBODY, NOBODY)
    status = f"fs={int(new_root)} net={int(ns and not network)} pid={int(ns)}\n".encode()
    pid = os.fork()
    if pid == 0:
        if new_root:
            m.mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            os.chroot(root)
            workdir, search = "/sandbox", ["/pkgs"] if packages else []
        else:
            search = sorted({os.path.dirname(p) for p in packages})
        os.write(status_fd, status)
        os.close(status_fd)
        for cap in range(64):
            libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
        if as_nobody:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
        header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()
        libc.capset(ctypes.byref(header), ctypes.byref(data))
        libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        for name, value in limits.items():
            try:
                resource.setrlimit(getattr(resource, name), (value, value))
            except (ValueError, OSError, AttributeError):
                pass
        os.chdir(workdir)
        env = {**os.environ, "HOME": workdir, "TMPDIR": workdir, "PWD": workdir}
        main_py = os.path.join(workdir, "main.py")
        os.execve(python, [python, "-I", "-S", "-c", BOOT, main_py, *search], env)
    os.close(status_fd)
    _, wait_status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(wait_status):
        os._exit(128 + os.WTERMSIG(wait_status))
    os._exit(os.WEXITSTATUS(wait_status))


if __name__ == "__main__":
    main()
