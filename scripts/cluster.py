"""A real distributed Airflow on this machine: ``up DIR``, ``down DIR``, ``dags DIR SRC...``.

``up`` starts, under DIR and on free ports of 127.0.0.1: Postgres (the metadata database),
Redis (the Celery broker), Azurite (the default datastore ``workspaceblobstore`` and the task
logs), then Airflow's API server, scheduler, DAG processor, triggerer and two Celery workers,
each with a home, temp and dags folder of its own; it returns once all are healthy, leaving
DIR/client/config.json (the Airflow URL and a token) and DIR/cluster.json (ports, pids, paths,
the admin login). ``down`` stops what ``up`` started, by its pid files. ``dags`` copies DAG
files or folders into every component's dags folder, as an image build or git-sync would.
See docs/deployment.md. Run through scripts/cluster.sh (the project's venv).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from cluster_processes import ProcessTable, in_own_hostname
from cluster_settings import (
    ADMIN,
    COMPONENTS,
    DATABASE,
    DATASTORE,
    DB_USER,
    LOG_CONTAINER,
    MIGRATE,
    PASSWORDS_FILE,
    WORKERS,
    Layout,
    Ports,
    Secrets,
    broker_url,
    component_argv,
    component_environment,
    worker_hostname,
    write_private,
)
from local_services import (
    REDIS_SERVER,
    apt_install,
    azurite_argv,
    azurite_connection_string,
    free_port,
    init_postgres,
    psql,
    start_postgres,
    stop_postgres,
    wait_for_port,
)
from mlpipelines.translate.spec import LOADER_DAG_FILE, LOADER_DAG_SOURCE

UP_TIMEOUT_SECONDS = 300
Log = Callable[[str], None]


def up(layout: Layout, log: Log = print) -> dict[str, Any]:
    """Start everything and wait until it is healthy; stop what started if anything fails."""
    if layout.cluster_file.exists() and ProcessTable(layout.pids).running():
        raise SystemExit(f"a cluster already runs from {layout.root}: run `down` first")
    started = time.monotonic()
    layout.root.mkdir(parents=True, exist_ok=True)
    # The postgres user must reach DIR/postgres; nobody else may list DIR.
    layout.root.chmod(0o711)
    for folder in (layout.logs, layout.pids):
        folder.mkdir(mode=0o700, exist_ok=True)
    keys = Secrets.load_or_create(layout.secrets_file)
    ports = Ports(*_free_ports(6))
    processes = ProcessTable(layout.pids)
    try:
        _start_backing_services(layout, ports, keys, processes, log)
        _start_airflow(layout, ports, keys, processes, log)
        state = _write_state(layout, ports, keys, processes)
    except BaseException:
        log(f"start-up failed; stopping what started (logs are in {layout.logs})")
        down(layout, log=lambda _: None)
        raise
    log(f"cluster up in {time.monotonic() - started:.0f} s: {state['airflow_url']}")
    return state


def _start_backing_services(
    layout: Layout, ports: Ports, keys: Secrets, processes: ProcessTable, log: Log
) -> None:
    log(f"Postgres on 127.0.0.1:{ports.postgres}")
    data = layout.postgres / "data"
    if data.exists():
        start_postgres(data, ports.postgres)
    else:
        hba = "local all postgres peer\nhost all all 127.0.0.1/32 scram-sha-256\n"
        init_postgres(layout.postgres, ports.postgres, hba)
        psql(
            data, ports.postgres, "postgres",
            f"CREATE USER {DB_USER} PASSWORD '{keys.postgres_password}';\n"
            f"CREATE DATABASE {DATABASE} OWNER {DB_USER};\n",
        )  # fmt: skip

    log(f"Redis on 127.0.0.1:{ports.redis}")
    redis = apt_install("redis-server", REDIS_SERVER)
    layout.redis.mkdir(mode=0o700, exist_ok=True)
    conf = layout.redis / "redis.conf"
    # The password lives in this 0600 file, never on a command line; nothing is persisted.
    write_private(
        conf,
        f'bind 127.0.0.1\nport {ports.redis}\ndir {layout.redis}\nsave ""\nappendonly no\n'
        f"requirepass {keys.redis_password}\nprotected-mode yes\n",
    )
    processes.start("redis", [str(redis), str(conf)], env={"PATH": "/usr/bin:/bin"},
                    log=layout.logs / "redis.log")  # fmt: skip
    _wait_for_redis(ports, keys)

    log(f"Azurite on 127.0.0.1:{ports.azurite}")
    layout.azurite.mkdir(mode=0o700, exist_ok=True)
    processes.start(
        "azurite", azurite_argv(ports.azurite, location=layout.azurite),
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(layout.azurite)},
        log=layout.logs / "azurite.log", cwd=layout.azurite,
    )  # fmt: skip
    wait_for_port(ports.azurite, timeout=60)
    _create_containers(ports, (DATASTORE, LOG_CONTAINER))


def _start_airflow(
    layout: Layout, ports: Ports, keys: Secrets, processes: ProcessTable, log: Log
) -> None:
    (layout.root / "homes").mkdir(mode=0o700, exist_ok=True)
    for component in (*COMPONENTS, MIGRATE):
        for folder in (layout.home(component), layout.tmp(component)):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if component != MIGRATE:
            layout.dags(component).mkdir(exist_ok=True)
            # The loader DAG file, as the provider's image would bake it in: every component
            # renders submitted and published pipelines from the specs on Azurite.
            (layout.dags(component) / LOADER_DAG_FILE).write_text(LOADER_DAG_SOURCE)
    # Only the API server authenticates users.
    write_private(
        layout.home("api-server") / PASSWORDS_FILE, json.dumps({ADMIN: keys.admin_password})
    )
    log("airflow db migrate")
    with open(layout.logs / f"{MIGRATE}.log", "wb") as out:
        subprocess.run(
            [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
            env=component_environment(layout, MIGRATE, ports, keys),
            cwd=layout.home(MIGRATE), stdout=out, stderr=subprocess.STDOUT, check=True,
            timeout=600,
        )  # fmt: skip

    def start(component: str) -> None:
        processes.start(
            component, component_argv(component, ports),
            env=component_environment(layout, component, ports, keys),
            log=layout.logs / f"{component}.log", cwd=layout.home(component),
            preexec=in_own_hostname(worker_hostname(component)) if component in WORKERS else None,
        )  # fmt: skip

    log(f"API server on 127.0.0.1:{ports.api}")
    start("api-server")
    url = f"http://127.0.0.1:{ports.api}"
    _wait_until(lambda: _api_answers(url), "the API server answers", processes)
    for component in COMPONENTS[1:]:
        log(component)
        start(component)
    _wait_until(lambda: _healthy(url), "scheduler, DAG processor and triggerer", processes)
    _wait_until(lambda: _workers_answer(ports, keys), "both Celery workers", processes)


def _write_state(
    layout: Layout, ports: Ports, keys: Secrets, processes: ProcessTable
) -> dict[str, Any]:
    url = f"http://127.0.0.1:{ports.api}"
    token = httpx.post(
        f"{url}/auth/token", json={"username": ADMIN, "password": keys.admin_password}, timeout=30
    ).json()["access_token"]
    # The client machine's whole configuration: where Airflow is and a token for it.
    write_private(layout.client_config, json.dumps({"airflow_url": url, "token": token}) + "\n")
    state = {
        "airflow_url": url,
        "username": ADMIN,
        "password": keys.admin_password,
        "ports": asdict(ports),
        "pids": processes.pids(),
        "components": list(COMPONENTS),
        "workers": {w: worker_hostname(w) for w in WORKERS},
        "homes": {c: str(layout.home(c)) for c in COMPONENTS},
        "dags": {c: str(layout.dags(c)) for c in COMPONENTS},
        "logs": str(layout.logs),
        "client_config": str(layout.client_config),
        "datastore": {"name": DATASTORE, "container": DATASTORE,
                      "connection_string": azurite_connection_string(ports.azurite)},
        "log_container": LOG_CONTAINER,
        "postgres_data": str(layout.postgres / "data"),
    }  # fmt: skip
    write_private(layout.cluster_file, json.dumps(state, indent=2) + "\n")
    return state


def down(layout: Layout, log: Log = print) -> None:
    """Stop what ``up`` started, by pid files: Airflow first, then the services it uses; a
    second call finds nothing to stop."""
    processes = ProcessTable(layout.pids)
    stopped = processes.stop(list(COMPONENTS))
    stopped += processes.stop()
    data = layout.postgres / "data"
    if (data / "postmaster.pid").exists():
        stop_postgres(data)
        stopped.append("postgres")
    log(f"stopped: {', '.join(stopped)}" if stopped else f"nothing runs from {layout.root}")


def deploy_dags(layout: Layout, sources: list[Path], log: Log = print) -> list[str]:
    """Copy DAG files or folders into every component's dags folder, then ask the DAG
    processor to re-parse the files it already knows (new ones it finds within 5 s)."""
    copied: list[str] = []
    for component in COMPONENTS:
        dags = layout.dags(component)
        if not dags.is_dir():
            raise SystemExit(f"{dags} is missing: is there a cluster in {layout.root}?")
        copied = []
        for source in sources:
            copied += _copy_into(source.resolve(), dags / source.resolve().name)
    log(f"copied {len(copied)} file(s) into {len(COMPONENTS)} dags folders")
    try:
        reparsed = _request_reparse(layout, set(copied))
    except (OSError, ValueError, KeyError, httpx.HTTPError) as exc:
        log(f"could not ask the DAG processor to re-parse ({exc}); it rescans within 5 s")
    else:
        log(f"asked the DAG processor to re-parse {reparsed} known file(s)")
    return copied


def _copy_into(source: Path, target: Path) -> list[str]:
    """Copy a file or a folder; each file appears whole (written aside, then renamed)."""
    files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
    names = []
    for file in files:
        if "__pycache__" in file.parts:
            continue
        relative = Path(target.name) / file.relative_to(source) if source.is_dir() else None
        destination = target.parent / relative if relative else target
        destination.parent.mkdir(parents=True, exist_ok=True)
        aside = destination.with_name(f".{destination.name}.{uuid.uuid4().hex[:8]}.tmp")
        shutil.copy2(file, aside)
        os.replace(aside, destination)
        names.append(str(relative or Path(target.name)))
    return names


def _request_reparse(layout: Layout, relative_files: set[str]) -> int:
    state = json.loads(layout.cluster_file.read_text())
    with httpx.Client(base_url=state["airflow_url"], timeout=30) as http:
        token = http.post(
            "/auth/token", json={"username": state["username"], "password": state["password"]}
        ).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        dags = http.get("/api/v2/dags", params={"limit": 1000}).json()["dags"]
        tokens = {d["file_token"] for d in dags if d.get("relative_fileloc") in relative_files}
        for file_token in tokens:
            http.put(f"/api/v2/parseDagFile/{file_token}")
    return len(tokens)


def _free_ports(count: int) -> list[int]:
    taken: list[int] = []
    while len(taken) < count:
        port = free_port()
        if port not in taken:
            taken.append(port)
    return taken


# -- health -----------------------------------------------------------------------------------
def _wait_until(ready: Callable[[], bool], what: str, processes: ProcessTable) -> None:
    deadline = time.monotonic() + UP_TIMEOUT_SECONDS
    while not ready():
        dead = processes.dead()
        if dead:
            raise RuntimeError(f"waiting for {what}: {', '.join(dead)} exited (see its log)")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {UP_TIMEOUT_SECONDS} s")
        time.sleep(1.0)


def _api_answers(url: str) -> bool:
    """The API server is up, its database reachable, and its execution API built (the first
    task would otherwise wait for it and time out once)."""
    try:
        health = httpx.get(f"{url}/api/v2/monitor/health", timeout=5).json()
        if health["metadatabase"]["status"] != "healthy":
            return False
        return httpx.get(f"{url}/execution/health", timeout=30).status_code == 200
    except (httpx.HTTPError, ValueError, KeyError):
        return False


def _healthy(url: str) -> bool:
    try:
        health = httpx.get(f"{url}/api/v2/monitor/health", timeout=5).json()
    except (httpx.HTTPError, ValueError):
        return False
    parts = ("metadatabase", "scheduler", "dag_processor", "triggerer")
    return all((health.get(p) or {}).get("status") == "healthy" for p in parts)


def _workers_answer(ports: Ports, keys: Secrets) -> bool:
    """Both workers answer a Celery ping over the broker, each under its own host name."""
    from celery import Celery

    app = Celery(broker=broker_url(ports, keys))
    try:
        replies = app.control.ping(timeout=2.0)
    except Exception:
        return False
    finally:
        app.close()
    names = {name for reply in replies for name in reply}
    return all(f"celery@{worker_hostname(w)}" in names for w in WORKERS)


def _wait_for_redis(ports: Ports, keys: Secrets) -> None:
    import redis

    deadline = time.monotonic() + 30
    client = redis.Redis(host="127.0.0.1", port=ports.redis, password=keys.redis_password)
    while True:
        try:
            if client.ping():
                return
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def _create_containers(ports: Ports, names: tuple[str, ...]) -> None:
    from azure.core.exceptions import ResourceExistsError
    from azure.storage.blob import BlobServiceClient

    client = BlobServiceClient.from_connection_string(azurite_connection_string(ports.azurite))
    for name in names:
        with contextlib.suppress(ResourceExistsError):
            client.create_container(name)


# -- command line -----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cluster.sh", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="start and wait until healthy").add_argument("dir", type=Path)
    commands.add_parser("down", help="stop what up started").add_argument("dir", type=Path)
    dags = commands.add_parser("dags", help="copy DAG files/folders into every component")
    dags.add_argument("dir", type=Path)
    dags.add_argument("sources", type=Path, nargs="+")
    args = parser.parse_args(argv)
    layout = Layout(args.dir.resolve())
    if args.command == "up":
        # A stop request (Ctrl-C, SIGTERM) while starting still stops what started.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        up(layout)
    elif args.command == "down":
        down(layout)
    else:
        missing = [str(s) for s in args.sources if not s.exists()]
        if missing:
            parser.error(f"no such file or folder: {', '.join(missing)}")
        deploy_dags(layout, args.sources)
    return 0


if __name__ == "__main__":
    sys.exit(main())
