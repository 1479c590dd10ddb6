"""A local Airflow 3 for users and tests: SQLite, LocalExecutor, 127.0.0.1 only.

Starts the API server, scheduler, DAG processor and triggerer as one process group so that
``down`` stops all of them (and the task workers they fork) together.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Collection
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from mlpipelines.cli.deployment_health import COMPONENT_NAMES, DeploymentHealth
from mlpipelines.model.workspace import Workspace
from mlpipelines.translate.dag_discovery import DAG_DISCOVERY_CALLABLE
from mlpipelines.translate.spec import LOADER_DAG_FILE, LOADER_DAG_SOURCE

COMPONENTS = COMPONENT_NAMES
SQLITE_LOCK_TIMEOUT_SECONDS = 30
STATE_FILE = "mlpipelines-airflow.json"
COMPONENTS_FILE = "mlpipelines-components.json"
HEALTH_PATH = "/api/v2/monitor/health"
PRIVATE_UMASK = 0o077
PASSWORDS_FILE = "simple_auth_manager_passwords.json"
SECRETS_FILE = "mlpipelines-secrets.json"
ADMIN = "admin"


def use_write_ahead_log(database: Path) -> None:
    """Put the SQLite metadata database in WAL mode (kept in the file): readers no longer
    block the one writer, which the four Airflow processes otherwise queue on."""
    import sqlite3

    with sqlite3.connect(database, timeout=SQLITE_LOCK_TIMEOUT_SECONDS) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    return free_ports(1)[0]


def free_ports(count: int, taken: Collection[int] = ()) -> list[int]:
    """``count`` distinct TCP ports free on 127.0.0.1 right now, none of them in ``taken``.

    The sockets stay bound until all are chosen: picking ports one by one can hand the same
    port out twice (a CI run lost its API server's port to the worker's log server so).
    """
    with ExitStack() as stack:
        ports: list[int] = []
        while len(ports) < count:
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            if port not in taken:
                ports.append(port)
        return ports


def airflow_settings(port: int) -> dict[str, str]:
    """The Airflow settings every deployment this project starts shares (this local one and
    ``scripts/cluster.py``'s distributed one): the API on 127.0.0.1:``port``, SimpleAuthManager's
    admin, DAGs unpaused, and a scheduler and DAG processor tuned to react in seconds."""
    return {
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.1",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        # Also parse pipeline files that never mention Airflow (migrated AML code).
        "AIRFLOW__CORE__MIGHT_CONTAIN_DAG_CALLABLE": DAG_DISCOVERY_CALLABLE,
    }


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class LocalAirflow:
    """One local Airflow deployment rooted at ``home``."""

    home: Path
    dags: Path | None = None
    port: int | None = None

    @property
    def state_file(self) -> Path:
        return self.home / STATE_FILE

    def state(self) -> dict[str, Any] | None:
        """What ``up`` recorded, if the deployment it started is still running."""
        try:
            state = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None
        return state if _alive(state["pgid"]) else None

    def environment(self, port: int) -> dict[str, str]:
        """Airflow settings for this deployment, as environment variables."""
        secret = self._secrets()
        worker_logs, trigger_logs = free_ports(2, taken={port})
        cores = os.cpu_count() or 2
        dags = (self.dags or self.home / "dags").resolve()
        bin_dir = str(Path(sys.executable).parent)
        env = dict(os.environ)
        env.update(airflow_settings(port))
        env.update(
            {
                "PATH": bin_dir + os.pathsep + env.get("PATH", ""),
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": str(max(2, cores * 2)),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(
                    self.home / PASSWORDS_FILE
                ),
                "AIRFLOW__CORE__FERNET_KEY": secret["fernet_key"],
                # Wait up to 30 s for SQLite's one writer lock instead of 5: the scheduler,
                # the API server and the DAG processor all write, and a busy machine made a
                # trigger request fail with "database is locked" after 5 s.
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": (
                    f"sqlite:///{self.home / 'airflow.db'}?timeout={SQLITE_LOCK_TIMEOUT_SECONDS}"
                ),
                "AIRFLOW__API__SECRET_KEY": secret["api_secret"],
                "AIRFLOW__API_AUTH__JWT_SECRET": secret["jwt_secret"],
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(worker_logs),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(trigger_logs),
            }
        )
        return env

    def up(self, timeout: float = 180.0, log: Any = print) -> Path:
        """Start (or find running) and wait until the API and execution API answer; write the
        workspace ``config.json`` and return its path."""
        self.home = self.home.resolve()
        self.home.mkdir(parents=True, exist_ok=True)
        running = self.state()
        if running:
            trouble = self.health().trouble()
            if not trouble:
                log(f"Airflow already running at {running['url']} (home {self.home})")
                return self.home / "config.json"
            log(f"Airflow at {running['url']} is half dead ({trouble}): starting it again")
            self.down(log=lambda *_: None)
            self.port = self.port or running["port"]
        port = self.port or free_port()
        env = self.environment(port)
        dags = Path(env["AIRFLOW__CORE__DAGS_FOLDER"])
        dags.mkdir(parents=True, exist_ok=True)
        if ensure_loader_dag(dags):
            log(f"Wrote the loader DAG file {dags / LOADER_DAG_FILE} (renders submitted pipelines)")
        password = self._password()
        logs = self.home / "logs"
        logs.mkdir(mode=0o700, exist_ok=True)
        airflow = str(Path(sys.executable).parent / "airflow")
        log(f"Preparing the metadata database in {self.home} ...")
        with open(logs / "db-migrate.log", "wb", opener=_private) as out:
            subprocess.run(
                [airflow, "db", "migrate"],
                env=env,
                check=True,
                stdout=out,
                stderr=subprocess.STDOUT,
                umask=PRIVATE_UMASK,
            )
        use_write_ahead_log(self.home / "airflow.db")
        (self.home / "airflow.db").chmod(0o600)  # made before this umask, by an older `up`
        url = f"http://127.0.0.1:{port}"
        components = []
        for component in COMPONENTS:
            entry: dict[str, Any] = {
                "name": component,
                "argv": [airflow, component],
                "log": str(logs / f"{component}.log"),
            }
            if component == "api-server":
                entry["argv"] += ["--host", "127.0.0.1", "--port", str(port)]
                # The others start once it answers: a task whose worker cannot reach the
                # execution API fails.
                entry["ready_url"] = url + HEALTH_PATH
            components.append(entry)
        spec = {
            "components": components,
            "health_url": url + HEALTH_PATH,
            "status_file": str(self.home / COMPONENTS_FILE),
        }
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "mlpipelines.cli.supervisor", json.dumps(spec)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            # Its database, logs and files are for this user alone: a log may hold what a
            # script printed, the database Fernet-encrypted connection secrets.
            umask=PRIVATE_UMASK,
        )
        pgid = supervisor.pid
        pids = [supervisor.pid]
        self.state_file.write_text(
            json.dumps(
                {
                    "pgid": pgid,
                    "pids": pids,
                    "port": port,
                    "url": url,
                    "dags": env["AIRFLOW__CORE__DAGS_FOLDER"],
                }
            )
        )
        try:
            self._wait_ready(url, timeout)
        except Exception:
            self.down(log=lambda *_: None)
            raise
        ws = Workspace(
            name="local-airflow",
            airflow_url=url,
            username=ADMIN,
            password=password,
            home=str(self.home),
        )
        config = ws.write_config(self.home)
        log(f"Airflow is up: {url}  (user {ADMIN}, password in {config})")
        return config

    def health(self) -> DeploymentHealth:
        """Each component's process (as the supervisor saw it) and health (as Airflow says)."""
        state = self.state()
        if not state:
            return DeploymentHealth(running=False)
        try:
            processes = json.loads((self.home / COMPONENTS_FILE).read_text())
        except (OSError, ValueError):
            processes = {}
        try:
            report = httpx.get(state["url"] + HEALTH_PATH, timeout=5.0).json()
        except (httpx.HTTPError, ValueError):
            report = None
        return DeploymentHealth(
            running=True,
            url=state["url"],
            supervisor_alive=_pid_alive(state["pids"][0]),
            processes=processes,
            report=report,
        )

    def down(self, timeout: float = 30.0, log: Any = print) -> bool:
        """Stop every process of the deployment; True when something was running."""
        state = self.state()
        if not state:
            log(f"no Airflow running from {self.home}")
            return False
        pgid = state["pgid"]
        supervisor = state["pids"][0]
        with contextlib.suppress(ProcessLookupError):  # a supervisor killed on its own
            os.kill(supervisor, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _pid_alive(supervisor) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(pgid):
            os.killpg(pgid, signal.SIGKILL)
        self.state_file.unlink(missing_ok=True)
        log(f"Airflow at {state['url']} stopped")
        return True

    def _wait_ready(self, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last: Any = None
        with httpx.Client(base_url=url, timeout=5.0) as http:
            while time.monotonic() < deadline:
                try:
                    health = http.get(HEALTH_PATH).json()
                    ready = all(
                        health.get(part, {}).get("status") == "healthy"
                        for part in ("metadatabase", "scheduler", "dag_processor")
                    )
                    # The first call builds the execution API; without it the first task
                    # waits and its worker times out once.
                    if ready and http.get("/execution/health").status_code == 200:
                        return
                    last = health
                except (httpx.HTTPError, ValueError) as exc:
                    last = exc
                if not _alive(json.loads(self.state_file.read_text())["pgid"]):
                    break
                time.sleep(0.5)
        raise RuntimeError(
            f"Airflow did not become ready in {timeout:.0f}s (last: {last}); "
            f"see the logs in {self.home / 'logs'}"
        )

    def _password(self) -> str:
        file = self.home / PASSWORDS_FILE
        try:
            passwords = json.loads(file.read_text())
        except (OSError, ValueError):
            passwords = {}
        if ADMIN not in passwords:
            passwords[ADMIN] = secrets.token_urlsafe(16)
            file.write_text(json.dumps(passwords))
            file.chmod(0o600)
        return passwords[ADMIN]

    def _secrets(self) -> dict[str, str]:
        file = self.home / SECRETS_FILE
        try:
            return json.loads(file.read_text())
        except (OSError, ValueError):
            pass
        import base64

        values = {
            "fernet_key": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "api_secret": secrets.token_urlsafe(32),
            "jwt_secret": secrets.token_urlsafe(32),
        }
        file.write_text(json.dumps(values))
        file.chmod(0o600)
        return values


def ensure_loader_dag(dags: Path) -> bool:
    """Write the loader DAG file into ``dags`` unless a loader is there; True if written.

    Without it, submit and publish wait for DAGs that never appear. A file of another name
    that already calls the loader counts: two loaders would define every pipeline twice.
    """
    if (dags / LOADER_DAG_FILE).exists():
        return False
    for path in dags.glob("*.py"):
        try:
            if "load_spec_dags(" in path.read_text(encoding="utf-8", errors="replace"):
                return False
        except OSError:
            continue
    (dags / LOADER_DAG_FILE).write_text(LOADER_DAG_SOURCE, encoding="utf-8")
    return True


def _private(path: str, flags: int) -> int:
    """Open as only this user may read (an ``opener`` for ``open``)."""
    return os.open(path, flags, 0o600)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        # A zombie child of ours counts as gone.
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True
