"""How a local Airflow is doing: each component's process and what Airflow's health says.

``mlpipelines airflow status`` prints it and exits non-zero when a part is down; ``up`` starts
a half-dead deployment again instead of answering "already running".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Airflow's /api/v2/monitor/health names these; the API server is healthy when it answers.
HEALTH_KEYS = {
    "scheduler": "scheduler",
    "dag-processor": "dag_processor",
    "triggerer": "triggerer",
}
COMPONENT_NAMES = ("api-server", "scheduler", "dag-processor", "triggerer")
EXIT_HEALTHY = 0
EXIT_NOT_RUNNING = 1
EXIT_DEGRADED = 3


@dataclass(frozen=True)
class ComponentHealth:
    """One component: its process state, restarts so far, and Airflow's word on it."""

    name: str
    process: str
    restarts: int
    health: str

    @property
    def ok(self) -> bool:
        return self.process == "running" and self.health == "healthy"


@dataclass(frozen=True)
class DeploymentHealth:
    """The whole deployment, from the supervisor's status file and Airflow's health report."""

    running: bool
    url: str = ""
    supervisor_alive: bool = False
    processes: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] | None = None

    def components(self) -> list[ComponentHealth]:
        rows = []
        for name in COMPONENT_NAMES:
            seen = self.processes.get(name) or {}
            process = seen.get("state", "unknown") if self.supervisor_alive else "unsupervised"
            rows.append(
                ComponentHealth(name, process, int(seen.get("restarts", 0)), self._health(name))
            )
        return rows

    def _health(self, name: str) -> str:
        if self.report is None:
            return "unreachable" if name == "api-server" else "unknown"
        if name == "api-server":
            return "healthy"
        part = self.report.get(HEALTH_KEYS[name]) or {}
        return str(part.get("status") or "unknown")

    def trouble(self) -> str:
        """What is wrong, in a few words; empty when every component runs and is healthy."""
        if not self.running:
            return "not running"
        problems = [] if self.supervisor_alive else ["the supervisor is gone"]
        if self.report is not None:
            database = (self.report.get("metadatabase") or {}).get("status")
            if database != "healthy":
                problems.append(f"metadatabase {database or 'unknown'}")
        problems += [
            f"{row.name} {row.process if row.process != 'running' else row.health}"
            for row in self.components()
            if not row.ok
        ]
        return ", ".join(problems)

    def exit_code(self) -> int:
        if not self.running:
            return EXIT_NOT_RUNNING
        return EXIT_DEGRADED if self.trouble() else EXIT_HEALTHY

    def lines(self) -> list[str]:
        """A table for people: one row per component."""
        if not self.running:
            return ["not running"]
        rows = [f"running at {self.url}"]
        rows.append(f"{'component':<15}{'process':<14}{'restarts':>9}  health")
        for row in self.components():
            rows.append(f"{row.name:<15}{row.process:<14}{row.restarts:>9}  {row.health}")
        trouble = self.trouble()
        rows.append(f"trouble: {trouble}" if trouble else "all components healthy")
        return rows
