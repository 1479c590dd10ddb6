"""Starts Airflow's components as children of one process, in order, and keeps them alive.

Run as ``python -m mlpipelines.cli.supervisor SPEC_JSON`` in a new session (the leader of a new
process group). SPEC_JSON holds ``components``: ``{"name", "argv", "log", "ready_url"?}`` in
start order (a component with a ``ready_url`` must answer it before the next one starts: tasks
started before the API server listens fail), ``health_url`` (Airflow's
``/api/v2/monitor/health``) and ``status_file``.

A component that exits is started again after a back-off (1 s doubling to 60 s; reset after
it ran a minute). One that is alive but reported unhealthy by Airflow for
``UNHEALTHY_SECONDS`` (a scheduler stuck on a locked database) is stopped and started again.
What each component is doing is written to ``status_file`` for ``mlpipelines airflow
status``. ``down`` sends SIGTERM here: it is passed to each component, which gets
``GRACE_SECONDS`` to shut down cleanly.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from mlpipelines.cli.deployment_health import HEALTH_KEYS

GRACE_SECONDS = 20.0
READY_TIMEOUT_SECONDS = 120.0
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
STABLE_SECONDS = 60.0
HEALTH_EVERY_SECONDS = 10.0
UNHEALTHY_SECONDS = 90.0


@dataclass
class Component:
    """One Airflow component: its process, and what restarting it has cost so far."""

    name: str
    argv: list[str]
    log: str
    ready_url: str | None = None
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    restarts: int = 0
    backoff: float = FIRST_BACKOFF_SECONDS
    restart_at: float | None = None
    last_exit: int | None = None
    unhealthy_since: float | None = None
    events: list[str] = field(default_factory=list)

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
            )
        self.started = time.monotonic()
        self.restart_at = None
        self.unhealthy_since = None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def state(self) -> str:
        if self.running():
            return "running"
        return "restarting" if self.restart_at is not None else "stopped"

    def report(self) -> dict[str, Any]:
        return {
            "state": self.state(),
            "pid": self.process.pid if self.running() and self.process else None,
            "restarts": self.restarts,
            "last_exit": self.last_exit,
            "events": self.events[-5:],
        }


class Supervisor:
    """The loop: start in order, restart what died or hung, stop everything on a signal."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.components = [
            Component(c["name"], c["argv"], c["log"], c.get("ready_url"))
            for c in spec["components"]
        ]
        self.health_url: str | None = spec.get("health_url")
        self.status_file = Path(spec["status_file"]) if spec.get("status_file") else None
        self.stop_by: float | None = None
        self.next_health = time.monotonic() + HEALTH_EVERY_SECONDS

    def stop(self, signum: int, frame: FrameType | None) -> None:
        # Only signal here: waiting belongs to the loop (Popen.wait is not reentrant).
        if self.stop_by is None:
            self.stop_by = time.monotonic() + GRACE_SECONDS
        for component in self.components:
            if component.running() and component.process:
                component.process.terminate()

    def run(self) -> int:
        for component in self.components:
            if self.stop_by is not None:
                break
            component.start()
            self._write_status()
            if component.ready_url:
                self._wait_ready(component)
        while self.stop_by is None:
            self._tend()
            time.sleep(0.2)
        while any(c.running() for c in self.components):
            if time.monotonic() > self.stop_by:
                for component in self.components:
                    if component.running() and component.process:
                        component.process.kill()
            time.sleep(0.2)
        self._write_status()
        return 0

    def _tend(self) -> None:
        now = time.monotonic()
        changed = False
        for component in self.components:
            if component.restart_at is not None:
                if now >= component.restart_at:
                    component.restarts += 1
                    component.start()
                    component.events.append(f"restarted (restart {component.restarts})")
                    changed = True
                continue
            if component.process is not None and component.process.poll() is not None:
                self._schedule_restart(component, f"exited with {component.process.returncode}")
                component.last_exit = component.process.returncode
                changed = True
        if self.health_url and now >= self.next_health:
            self.next_health = now + HEALTH_EVERY_SECONDS
            changed = self._check_health(now) or changed
        if changed:
            self._write_status()

    def _schedule_restart(self, component: Component, why: str) -> None:
        now = time.monotonic()
        if now - component.started >= STABLE_SECONDS:
            component.backoff = FIRST_BACKOFF_SECONDS
        component.restart_at = now + component.backoff
        component.events.append(f"{why}; starting again in {component.backoff:.0f} s")
        component.backoff = min(component.backoff * 2, MAX_BACKOFF_SECONDS)

    def _check_health(self, now: float) -> bool:
        health = _get_json(self.health_url or "")
        if health is None:
            return False
        changed = False
        for component in self.components:
            key = HEALTH_KEYS.get(component.name)
            if key is None or not component.running():
                continue
            healthy = (health.get(key) or {}).get("status") == "healthy"
            if healthy:
                component.unhealthy_since = None
                continue
            component.unhealthy_since = component.unhealthy_since or now
            if (
                now - component.unhealthy_since >= UNHEALTHY_SECONDS
                and now - component.started >= UNHEALTHY_SECONDS
                and component.process
            ):
                component.events.append("alive but unhealthy for 90 s: stopping it")
                _stop(component.process)
                changed = True
        return changed

    def _wait_ready(self, component: Component) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline and self.stop_by is None and component.running():
            if _get_json(component.ready_url or "", want_json=False) is not None:
                return
            time.sleep(0.25)

    def _write_status(self) -> None:
        if self.status_file is None:
            return
        report = {c.name: c.report() for c in self.components}
        partial = self.status_file.with_name(self.status_file.name + ".partial")
        partial.write_text(json.dumps(report, indent=1))
        partial.replace(self.status_file)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _get_json(url: str, want_json: bool = True) -> Any:
    """The body of a 200 answer from ``url`` (parsed when ``want_json``), or None."""
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            body = answer.read()
    except (OSError, ValueError):
        return None
    if not want_json:
        return body
    try:
        return json.loads(body)
    except ValueError:
        return None


def main(spec_json: str) -> int:
    supervisor = Supervisor(json.loads(spec_json))
    signal.signal(signal.SIGTERM, supervisor.stop)
    signal.signal(signal.SIGINT, supervisor.stop)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
