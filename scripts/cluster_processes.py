"""The processes of the local cluster, each in a session of its own and known by a pid file
(DIR/pids/<name>.pid) that also records when it started, so ``down`` stops exactly what
``up`` started, even after a pid was reused, and never looks a process up by name."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

CLONE_NEWUTS = 0x04000000
STOP_TIMEOUT_SECONDS = 30.0


def in_own_hostname(hostname: str) -> Callable[[], None]:
    """A pre-exec hook: the child gets a UTS namespace of its own under ``hostname``, as a
    container does, so two workers on one machine tell Airflow and Celery apart (needs root)."""

    def enter() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWUTS) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"unshare(CLONE_NEWUTS) for {hostname}: {os.strerror(error)}")
        socket.sethostname(hostname)

    return enter


def _start_ticks(pid: int) -> int | None:
    """When a process started (clock ticks since boot), or None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":  # a zombie has finished
        return None
    return int(fields[19])


class ProcessTable:
    """Processes started in their own sessions, one pid file each in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def start(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        log: Path,
        cwd: Path | None = None,
        preexec: Callable[[], None] | None = None,
    ) -> int:
        """Start ``argv`` with exactly ``env``, output appended to ``log``; record its pid."""
        with open(log, "ab") as out:
            process = subprocess.Popen(
                argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=preexec,
            )  # fmt: skip
        record = {"pid": process.pid, "start": _start_ticks(process.pid), "argv": argv[:3]}
        aside = self.folder / f".{name}.pid.tmp"
        aside.write_text(json.dumps(record))
        os.replace(aside, self.folder / f"{name}.pid")
        return process.pid

    def _records(self) -> dict[str, dict[str, object]]:
        """Pid records by name, in start order."""
        records = []
        for file in self.folder.glob("*.pid"):
            try:
                records.append((file.stat().st_mtime_ns, file.stem, json.loads(file.read_text())))
            except (OSError, ValueError):
                continue
        return {name: record for _, name, record in sorted(records)}

    def _alive(self, record: dict[str, object]) -> bool:
        pid = record["pid"]
        return isinstance(pid, int) and _start_ticks(pid) == record["start"]

    def pids(self) -> dict[str, int]:
        return {name: int(str(r["pid"])) for name, r in self._records().items()}

    def running(self) -> list[str]:
        return [name for name, record in self._records().items() if self._alive(record)]

    def dead(self) -> list[str]:
        return [name for name, record in self._records().items() if not self._alive(record)]

    def stop(self, names: list[str] | None = None) -> list[str]:
        """Stop the named processes (default: all recorded) together: SIGTERM to each one's
        process group, SIGKILL to what is left after a grace period; remove their pid files."""
        records = {n: r for n, r in self._records().items() if names is None or n in names}
        running = {n: r for n, r in records.items() if self._alive(r)}
        for record in running.values():
            _signal_group(int(str(record["pid"])), signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while any(self._alive(r) for r in running.values()) and time.monotonic() < deadline:
            time.sleep(0.2)
        for record in running.values():
            _signal_group(int(str(record["pid"])), signal.SIGKILL)
        for name in records:
            (self.folder / f"{name}.pid").unlink(missing_ok=True)
        return list(reversed(running))


def _signal_group(pgid: int, signum: int) -> None:
    """Signal a session's process group. Its id is the leader's pid, and Linux never hands
    out a pid that is still some group's id, so this reaches no one else's process."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)
