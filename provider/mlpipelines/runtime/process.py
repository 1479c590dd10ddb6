"""Run a script as a child process: argv only (never a shell), output streamed line by line."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from mlpipelines.runtime.step_context import StepLog

STDERR_TAIL_LINES = 30


@dataclass
class ProcessResult:
    returncode: int
    stderr_tail: list[str]


def run_process(
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    log: StepLog,
    logs_dir: Path,
    on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> ProcessResult:
    """Run ``argv`` in ``cwd``; each line goes to the task log and to stdout.txt/stderr.txt.

    The child leads its own process group so that killing the task kills what it started.
    """
    logs_dir.mkdir(parents=True, exist_ok=True)
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    if on_start:
        on_start(proc)
    assert proc.stdout is not None and proc.stderr is not None
    readers = [
        threading.Thread(target=_pump, args=(proc.stdout, logs_dir / "stdout.txt", log.info, None)),
        threading.Thread(
            target=_pump, args=(proc.stderr, logs_dir / "stderr.txt", log.warning, tail)
        ),
    ]
    for reader in readers:
        reader.start()
    returncode = proc.wait()
    for reader in readers:
        reader.join()
    return ProcessResult(returncode, list(tail))


def _pump(
    stream: IO[bytes], file: Path, emit: Callable[..., None], tail: collections.deque[str] | None
) -> None:
    with stream, open(file, "wb") as sink:
        for raw in iter(stream.readline, b""):
            sink.write(raw)
            line = raw.decode("utf-8", "replace").rstrip("\n")
            emit("%s", line)
            if tail is not None:
                tail.append(line)


def kill_process_group(proc: subprocess.Popen[bytes] | None, grace_seconds: float = 5.0) -> None:
    """SIGTERM the child's process group, then SIGKILL what is left after a grace period."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
