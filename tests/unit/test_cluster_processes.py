"""scripts/cluster_processes.py: processes known by pid files stop with their children, a
second stop finds nothing, and a pid that now names another process is left alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from cluster_processes import ProcessTable, _start_ticks

# A parent that starts a child (as Celery starts its pool) and waits; the child stays in its
# parent's process group.
PARENT = (
    "import subprocess, sys, time; "
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
    "print(child.pid, flush=True); time.sleep(120)"
)


def _alive(pid: int) -> bool:
    return _start_ticks(pid) is not None


def _child_pid(log, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while not log.read_text().strip():
        assert time.monotonic() < deadline, "the parent never started its child"
        time.sleep(0.05)
    return int(log.read_text().split()[0])


def test_stop_ends_each_process_group_and_removes_the_pid_files(tmp_path):
    table = ProcessTable(tmp_path)
    log = tmp_path / "parent.log"
    pid = table.start("parent", [sys.executable, "-c", PARENT], env=dict(os.environ), log=log)
    child = _child_pid(log)
    assert table.running() == ["parent"]
    assert table.stop() == ["parent"]
    for process in (pid, child):
        deadline = time.monotonic() + 5
        while _alive(process) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(process)
    assert list(tmp_path.glob("*.pid")) == []
    assert table.stop() == []


def test_a_reused_pid_is_not_signalled(tmp_path):
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        # A pid file naming a live process that started at another time than recorded.
        (tmp_path / "gone.pid").write_text(json.dumps({"pid": bystander.pid, "start": 1}))
        table = ProcessTable(tmp_path)
        assert table.dead() == ["gone"]
        assert table.stop() == []
        assert bystander.poll() is None
        assert not (tmp_path / "gone.pid").exists()
    finally:
        bystander.kill()
        bystander.wait()
