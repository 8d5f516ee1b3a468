"""Start, find and stop background server processes by pid file (never by process name)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from pipeline.errors import PrerequisiteMissing


def read_pid(pid_file: Path) -> int | None:
    """The pid recorded in `pid_file` if that process is still alive, else None."""
    try:
        pid = int(pid_file.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None
    return pid if pid_alive(pid) else None


def pid_alive(pid: int) -> bool:
    """True if a process with this pid exists (and is not a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def start_detached(argv: Sequence[str], log_file: Path, pid_file: Path, cwd: Path | None = None) -> int:
    """Start `argv` in its own session, output appended to `log_file`; record and return its pid."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(log_file, "ab") as log:
            proc = subprocess.Popen(  # noqa: S603 - argv built by the project, no shell
                list(argv), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=cwd, start_new_session=True,
            )
    except FileNotFoundError as exc:
        raise PrerequisiteMissing(f"cannot run {argv[0]!r}: not found on this machine") from exc
    pid_file.write_text(f"{proc.pid}\n")
    return proc.pid


def stop_pid_file(pid_file: Path, timeout: float = 30.0) -> bool:
    """Stop the process named by `pid_file` (TERM, then KILL after `timeout`); True if one was running."""
    return stop_pid_files([pid_file], timeout)


def stop_pid_files(pid_files: Sequence[Path], timeout: float = 30.0) -> bool:
    """Stop the processes named by `pid_files` together (TERM to all, then KILL whichever outlives `timeout`);
    True if any was running."""
    pids = []
    for pid_file in pid_files:
        pid = read_pid(pid_file)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            pids.append(pid)
    deadline = time.monotonic() + timeout
    for pid in pids:
        if not wait_gone(pid, max(0.0, deadline - time.monotonic())):
            os.kill(pid, signal.SIGKILL)
            wait_gone(pid, 60.0)
    for pid_file in pid_files:
        pid_file.unlink(missing_ok=True)
    return bool(pids)


def wait_gone(pid: int, timeout: float) -> bool:
    """Wait up to `timeout` seconds for `pid` to exit (reaping it if it is our child); True if it is gone."""
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        _reap(pid)
        if time.monotonic() >= deadline:
            return not pid_alive(pid)
        time.sleep(0.1)
    return True


def _reap(pid: int) -> None:
    """Collect the exit status if the process is our child, so it does not linger as a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def tail(path: Path, lines: int = 15) -> str:
    """Last lines of a log file, for error messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """True if something accepts TCP connections on host:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0
