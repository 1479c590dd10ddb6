"""What each process of the local distributed Airflow is given: its folders under DIR and its
environment. Pure functions of the layout, ports and secrets, so a unit test can check that
no component's environment points at another's files.

Shared by all: the Postgres URL, the Redis URL, the secrets, the execution API URL, the
default datastore's connection (and the task-log store's), and the tuning settings the local
Airflow uses too (``mlpipelines.cli.local_airflow.airflow_settings``). Own to each: its
AIRFLOW_HOME, HOME, TMPDIR and dags folder.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from local_services import azurite_connection_string
from mlpipelines.cli.local_airflow import airflow_settings
from mlpipelines.storage.registration import (
    environment_name,
    environment_value,
    registration_body,
)

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer", "worker-1", "worker-2")
WORKERS = ("worker-1", "worker-2")
# The one-off `airflow db migrate` gets a home of its own as well.
MIGRATE = "db-migrate"
ADMIN = "admin"
DATASTORE = "workspaceblobstore"
LOG_CONTAINER = "airflow-logs"
LOG_CONNECTION = "airflow_logs"
DATABASE = "airflow"
DB_USER = "airflow"
WORKER_CONCURRENCY = 2
# Two workers of two slots each; more would only queue on two cores.
PARALLELISM = 8
PASSWORDS_FILE = "simple_auth_manager_passwords.json"


@dataclass(frozen=True)
class Layout:
    """Where everything of one cluster lives under ``root``."""

    root: Path

    @property
    def cluster_file(self) -> Path:
        return self.root / "cluster.json"

    @property
    def secrets_file(self) -> Path:
        return self.root / "secrets.json"

    @property
    def client_config(self) -> Path:
        return self.root / "client" / "config.json"

    @property
    def logs(self) -> Path:
        """Each process's stdout and stderr, as a process supervisor would keep them."""
        return self.root / "logs"

    @property
    def pids(self) -> Path:
        return self.root / "pids"

    @property
    def postgres(self) -> Path:
        return self.root / "postgres"

    @property
    def redis(self) -> Path:
        return self.root / "redis"

    @property
    def azurite(self) -> Path:
        return self.root / "azurite"

    def home(self, component: str) -> Path:
        return self.root / "homes" / component

    def dags(self, component: str) -> Path:
        return self.home(component) / "dags"

    def tmp(self, component: str) -> Path:
        return self.home(component) / "tmp"


@dataclass(frozen=True)
class Ports:
    """The free ports one cluster took when it came up."""

    api: int
    postgres: int
    redis: int
    azurite: int
    worker_log_server: int
    trigger_log_server: int


@dataclass(frozen=True)
class Secrets:
    """Generated once per cluster into DIR/secrets.json (mode 0600); passed by environment."""

    fernet_key: str
    jwt_secret: str
    api_secret_key: str
    postgres_password: str
    redis_password: str
    admin_password: str

    @classmethod
    def load_or_create(cls, file: Path) -> Secrets:
        try:
            return cls(**json.loads(file.read_text()))
        except (OSError, ValueError, TypeError):
            pass
        import base64

        made = cls(
            fernet_key=base64.urlsafe_b64encode(os.urandom(32)).decode(),
            jwt_secret=secrets.token_urlsafe(32),
            api_secret_key=secrets.token_urlsafe(32),
            postgres_password=secrets.token_hex(16),
            redis_password=secrets.token_hex(16),
            admin_password=secrets.token_urlsafe(16),
        )
        write_private(file, json.dumps(asdict(made), indent=2))
        return made


def write_private(file: Path, text: str) -> None:
    """Write a file only its owner can read, created with mode 0600 (never readable first)."""
    file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    file.chmod(0o600)


def database_url(ports: Ports, keys: Secrets, driver: str = "postgresql+psycopg2") -> str:
    return f"{driver}://{DB_USER}:{keys.postgres_password}@127.0.0.1:{ports.postgres}/{DATABASE}"


def broker_url(ports: Ports, keys: Secrets) -> str:
    return f"redis://:{keys.redis_password}@127.0.0.1:{ports.redis}/0"


def shared_environment(ports: Ports, keys: Secrets) -> dict[str, str]:
    """The settings every component gets, identical for all."""
    datastore = registration_body(
        "azure_blob",
        DATASTORE,
        container=DATASTORE,
        connection_string=azurite_connection_string(ports.azurite),
    )
    logs = {
        "conn_type": "wasb",
        "extra": {"connection_string": azurite_connection_string(ports.azurite)},
    }
    return {
        **airflow_settings(ports.api),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(PARALLELISM),
        "AIRFLOW__CORE__FERNET_KEY": keys.fernet_key,
        "AIRFLOW__API__SECRET_KEY": keys.api_secret_key,
        "AIRFLOW__API_AUTH__JWT_SECRET": keys.jwt_secret,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url(ports, keys),
        "AIRFLOW__CELERY__BROKER_URL": broker_url(ports, keys),
        "AIRFLOW__CELERY__RESULT_BACKEND": database_url(ports, keys, "db+postgresql"),
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
        # A worker is known by its host name (each worker has its own, as a container
        # would): no DNS lookup of it, which an offline machine may answer slowly.
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "socket.gethostname",
        # Task logs go to Azurite when a task ends and the API server reads them there, so
        # no worker has to serve them (two workers on one host cannot share the log port).
        "AIRFLOW__LOGGING__REMOTE_LOGGING": "True",
        "AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER": "wasb://tasks",
        "AIRFLOW__LOGGING__REMOTE_LOG_CONN_ID": LOG_CONNECTION,
        "AIRFLOW__AZURE_REMOTE_LOGGING__REMOTE_WASB_LOG_CONTAINER": LOG_CONTAINER,
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(ports.worker_log_server),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(ports.trigger_log_server),
        environment_name(LOG_CONNECTION): json.dumps(logs),
        environment_name(DATASTORE): environment_value(datastore),
        # A worker that dies (kill, lost machine) is noticed in half a minute, not Airflow's
        # five, and its task goes to its retry on the other worker.
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
        "MLPIPELINES_DEFAULT_DATASTORE": DATASTORE,
        "MLPIPELINES_SPECS_DATASTORE": DATASTORE,
    }


def component_environment(
    layout: Layout, component: str, ports: Ports, keys: Secrets
) -> dict[str, str]:
    """The whole environment of one component: nothing is inherited from the caller's."""
    home = layout.home(component)
    bin_dir = Path(sys.executable).parent
    return {
        "PATH": os.pathsep.join([str(bin_dir), "/usr/local/bin", "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "TMPDIR": str(layout.tmp(component)),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(layout.dags(component)),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / PASSWORDS_FILE),
        **shared_environment(ports, keys),
    }


def component_argv(component: str, ports: Ports) -> list[str]:
    """The command of one component, with the venv's ``airflow``."""
    airflow = str(Path(sys.executable).parent / "airflow")
    if component == "api-server":
        return [airflow, "api-server", "--host", "127.0.0.1", "--port", str(ports.api)]
    if component in WORKERS:
        # --skip-serve-logs: the logs are read from Azurite (see shared_environment).
        return [airflow, "celery", "worker", "--concurrency", str(WORKER_CONCURRENCY),
                "--skip-serve-logs"]  # fmt: skip
    return [airflow, component]


def worker_hostname(component: str) -> str:
    """The host name a worker runs under (``cluster-worker-1``): what task instances show."""
    return f"cluster-{component}"
