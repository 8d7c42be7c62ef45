"""Sandbox bootstrap, run as ``python -I -S _jail.py WORKDIR NETWORK(0/1) LIMITS_JSON STATUS_FD`` with the code in
WORKDIR/main.py. Trusted code: it isolates itself, then runs the untrusted program as PID 1 of a new PID
namespace with every capability dropped. Standard library only.

1. new mount, network (unless allowed) and PID namespaces (inside a user namespace when not root);
2. every mount read-only except the work directory;
3. fork: the child is PID 1 of the new namespace, drops all capabilities (bounding set, then capset to
   zero), sets no_new_privs and rlimits, and execs the interpreter on main.py;
4. the parent waits and exits with the child's status (a signal death becomes 128 + signal).

It writes one status line to STATUS_FD before the untrusted code starts: ``fs=0/1 net=0/1 pid=0/1``.
"""

import ctypes
import json
import os
import resource
import sys

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def main() -> None:
    workdir, network, limits, status_fd = sys.argv[1], sys.argv[2] == "1", json.loads(sys.argv[3]), int(sys.argv[4])
    libc = ctypes.CDLL(None, use_errno=True)
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
    fs = False
    if ns:
        wd = workdir.encode()
        fs = libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) == 0
        fs = fs and libc.mount(wd, wd, None, MS_BIND, None) == 0
        if fs:
            with open("/proc/self/mounts", encoding="utf-8", errors="replace") as f:
                points = [line.split()[1].encode("latin-1").decode("unicode_escape").encode("latin-1") for line in f]
            for point in points:
                if point != wd and libc.mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY, None) != 0:
                    fs = fs and point != b"/"
    status = f"fs={int(fs)} net={int(ns and not network)} pid={int(ns)}\n".encode()
    pid = os.fork()
    if pid == 0:
        os.write(status_fd, status)
        os.close(status_fd)
        for cap in range(64):
            libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
        header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()
        libc.capset(ctypes.byref(header), ctypes.byref(data))
        libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        for name, value in limits.items():
            try:
                resource.setrlimit(getattr(resource, name), (value, value))
            except (ValueError, OSError, AttributeError):
                pass
        os.chdir(workdir)
        os.execv(sys.executable, [sys.executable, "-I", "-S", os.path.join(workdir, "main.py")])
    os.close(status_fd)
    _, wait_status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(wait_status):
        os._exit(128 + os.WTERMSIG(wait_status))
    os._exit(os.WEXITSTATUS(wait_status))


if __name__ == "__main__":
    main()
