"""A pool of ParallelRunStep worker processes: each runs the Airflow-free driver, calls the
entry script's ``init()`` once, then takes mini-batches from a shared queue until none are
left. A ``run()`` that overruns its timeout, or a worker that dies, fails that mini-batch's
items and the worker is started afresh."""

from __future__ import annotations

import collections
import contextlib
import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from mlpipelines.errors import StepRunError
from mlpipelines.runtime.process import kill_process_group
from mlpipelines.runtime.step_context import StepLog

# Run by its path, not with -m: -m would import the mlpipelines package first (~0.4 s a
# worker) though an entry script that needs none of it never pays for it.
DRIVER_PATH = str(Path(__file__).with_name("parallel_run_driver.py"))
STARTUP_SECONDS = 300.0
READ_BYTES = 1 << 16


class _Worker:
    """One driver process: started with the entry script loaded and ``init()`` done."""

    def __init__(self, number: int, argv: list[str], cwd: Path, env: dict[str, str], log: StepLog):
        self.number = number
        self.log = log
        self.tail: collections.deque[str] = collections.deque(maxlen=20)
        self._unread = bytearray()
        self.ended = False  # its output closed: it exited, or is exiting
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        assert self.process.stderr is not None
        threading.Thread(target=self._relay, args=(self.process.stderr,), daemon=True).start()
        ready = self.reply(STARTUP_SECONDS)
        if ready is None or "init_error" in ready:
            self.stop()
            detail = (ready or {}).get("init_error") or "\n".join(self.tail) or "(no output)"
            raise StepRunError(f"worker {number}: the entry script failed to start:\n{detail}")

    def _relay(self, stream: IO[bytes]) -> None:
        with stream:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.tail.append(line)
                self.log.info("[worker %d] %s", self.number, line)

    def send(self, job: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(job) + "\n").encode())
        self.process.stdin.flush()

    def reply(self, timeout: float) -> dict[str, Any] | None:
        """The next line the driver writes, or None when it dies or ``timeout`` passes.

        Read from the pipe's descriptor into our own buffer: with a second job queued, two
        replies may arrive in one read, and a buffered file would hide the second from
        ``select``."""
        stdout = self.process.stdout
        assert stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self._unread:
            ready, _, _ = select.select([stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                return None
            chunk = os.read(stdout.fileno(), READ_BYTES)
            if not chunk:
                self.ended = True
                return None
            self._unread += chunk
        line, _, rest = bytes(self._unread).partition(b"\n")
        self._unread = bytearray(rest)
        found: dict[str, Any] = json.loads(line)
        return found

    def stop(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            try:
                self.process.stdin.close()
                _wait_exit(self.process, 10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        kill_process_group(self.process)  # type: ignore[arg-type]


def _wait_exit(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait until ``process`` exits, woken by the exit itself (a pidfd where there is one):
    ``Popen.wait(timeout)`` polls with doubling sleeps, and took ~7 ms to see a worker's
    ~4 ms exit, at the end of every mapped task."""
    try:
        handle = os.pidfd_open(process.pid)
    except (AttributeError, OSError):  # not Linux 5.3+, or reaped already
        process.wait(timeout=timeout)
        return
    try:
        select.select([handle], [], [], timeout)
    finally:
        os.close(handle)
    process.wait(timeout=0)  # reaps it; TimeoutExpired if it is still running


class WorkerPool:
    """``count`` driver processes running ``entry_script`` in ``cwd``."""

    def __init__(
        self,
        count: int,
        entry_script: str,
        arguments: list[str],
        cwd: Path,
        env: dict[str, str],
        log: StepLog,
        timeout: float,
    ) -> None:
        self.argv = [sys.executable, DRIVER_PATH, entry_script, *arguments]
        self.count = count
        self.cwd = cwd
        self.env = env
        self.log = log
        self.timeout = timeout
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()

    def _start(self, number: int) -> _Worker:
        worker = _Worker(number, self.argv, self.cwd, self.env, self.log)
        with self._lock:
            self._workers.append(worker)
        return worker

    def run(self, jobs: list[dict[str, Any]], on_result: Callable[[dict[str, Any]], None]) -> None:
        """Each job through one of the workers; ``on_result`` gets every reply (called from
        the workers' threads, one at a time)."""
        todo: queue.Queue[dict[str, Any]] = queue.Queue()
        for job in jobs:
            todo.put(job)
        errors: list[BaseException] = []
        report = threading.Lock()
        count = min(self.count, len(jobs))
        # Every worker has run init() before any takes a job, so the first one up does not
        # take all the mini-batches of a small input while the others still start.
        all_ready = threading.Barrier(count)

        def serve(number: int) -> None:
            try:
                worker = self._start(number)
                all_ready.wait(STARTUP_SECONDS)
                self._serve(number, worker, todo, count, report, on_result)
            except threading.BrokenBarrierError:
                pass  # another worker failed to start: its error is the one reported
            except BaseException as exc:  # reported by run(), after the other workers end
                all_ready.abort()
                errors.append(exc)

        threads = [threading.Thread(target=serve, args=(n,)) for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            self.kill()  # workers left waiting for one that never started
            raise errors[0]

    def _serve(
        self,
        number: int,
        worker: _Worker,
        todo: queue.Queue[dict[str, Any]],
        workers: int,
        report: threading.Lock,
        on_result: Callable[[dict[str, Any]], None],
    ) -> None:
        """Feed one worker jobs from ``todo`` until none are left, a second one queued in its
        pipe while more are left than ``workers``, so it starts the next as soon as it
        replies, not after we have recorded the reply (a tenth of a mini-batch of small
        files); the last jobs go one at a time, to spread over all the workers."""
        sent: collections.deque[dict[str, Any]] = collections.deque()

        def feed() -> None:
            while len(sent) < (2 if todo.qsize() > workers else 1):
                try:
                    job = todo.get_nowait()
                except queue.Empty:
                    return
                worker.send(job)
                sent.append(job)

        feed()
        started = time.monotonic()  # when the job at the head of ``sent`` began
        while sent:
            job = sent.popleft()
            reply = worker.reply(max(0.0, self.timeout - (time.monotonic() - started)))
            started = time.monotonic()
            if reply is None:
                reply = self._lost(worker, job)
                while sent:  # queued behind the lost one, never begun: anyone's to run
                    todo.put(sent.popleft())
                kill_process_group(worker.process)  # type: ignore[arg-type]  # its reply is lost
                worker = self._start(number)
                started = time.monotonic()
            feed()
            with report:
                on_result(reply)
        worker.stop()

    def _lost(self, worker: _Worker, job: dict[str, Any]) -> dict[str, Any]:
        if worker.ended:  # its exit code follows its closed output closely
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.process.wait(timeout=5)
        alive = worker.process.poll() is None
        why = (
            f"run() took longer than run_invocation_timeout ({self.timeout:g} s)"
            if alive
            else f"the worker process exited with code {worker.process.returncode}"
        )
        tail = "\n".join(list(worker.tail)[-5:])
        return {
            "index": job["index"],
            "key": job["key"],
            "items": job["size"],
            "ok": False,
            "processed": 0,
            "failed": job["labels"],
            "rows": [],
            "error": why + (f"; last lines:\n{tail}" if tail else ""),
        }

    def kill(self) -> None:
        """Stop every worker at once (the task is being killed)."""
        with self._lock:
            workers = list(self._workers)
        for worker in workers:
            kill_process_group(worker.process)  # type: ignore[arg-type]
