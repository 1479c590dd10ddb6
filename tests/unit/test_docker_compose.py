"""Lint docker/docker-compose.yaml without a Docker engine (none here, nor `docker compose`):
the distributed topology scripts/cluster.sh also starts, with no data shared between workers
and every secret taken from docker/.env."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DOCKER_DIR = Path(__file__).resolve().parents[2] / "docker"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
COMPOSE_FILE = DOCKER_DIR / "docker-compose.yaml"
ENV_EXAMPLE = DOCKER_DIR / ".env.example"

WORKERS = {"airflow-worker-1", "airflow-worker-2"}
AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    *WORKERS,
}
BACKING_SERVICES = {"postgres", "redis", "azurite"}
LONG_RUNNING_SERVICES = (AIRFLOW_SERVICES - {"airflow-init"}) | BACKING_SERVICES
# A compose variable reference: ${X}, ${X:-default}, ${X:?message}.
VARIABLE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-?][^}]*)?\}")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|(^|_)KEY$|CONNECTION_STRING", re.I)
# Names like *_PASSWORDS_FILE hold where a secret is, not the secret.
LOCATION_NAME = re.compile(r"_(FILE|PATH|DIR)$", re.IGNORECASE)
URL_CREDENTIALS = re.compile(r"://[^/:@\s]*:(?P<password>[^@\s]*)@")
SECRET_EXTRAS = ("connection_string", "account_key", "sas_token", "password")


@pytest.fixture(scope="module")
def services() -> dict[str, dict]:
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(compose, dict) and isinstance(compose.get("services"), dict)
    return compose["services"]


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def _depends_on(service: dict) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def _volume_sources(service: dict) -> set[str]:
    sources = set()
    for volume in service.get("volumes") or []:
        sources.add(volume["source"] if isinstance(volume, dict) else volume.split(":")[0])
    return sources


def test_compose_has_the_distributed_topology(services: dict[str, dict]) -> None:
    assert set(services) == AIRFLOW_SERVICES | BACKING_SERVICES
    for worker in WORKERS:
        assert services[worker]["command"] == "celery worker", worker


def test_every_airflow_service_runs_the_image_built_from_the_dockerfile(
    services: dict[str, dict],
) -> None:
    built_images = set()
    for name in AIRFLOW_SERVICES:
        build = services[name].get("build")
        assert isinstance(build, dict), f"{name} must build docker/Dockerfile"
        context = (COMPOSE_FILE.parent / build["context"]).resolve()
        assert (context / build["dockerfile"]).resolve() == DOCKERFILE.resolve(), name
        built_images.add(services[name]["image"])
    assert len(built_images) == 1, f"Airflow services use different images: {built_images}"
    for name in BACKING_SERVICES:
        assert "build" not in services[name], name


def test_no_image_is_tagged_latest_or_left_untagged(services: dict[str, dict]) -> None:
    for name, service in services.items():
        image = service["image"]
        assert ":" in image.rsplit("/", 1)[-1], f"{name}: {image} has no tag"
        assert not image.endswith(":latest"), f"{name}: {image}"


def test_airflow_services_wait_for_their_backing_services_and_init(
    services: dict[str, dict],
) -> None:
    init = _depends_on(services["airflow-init"])
    assert init == {"postgres": "service_healthy", "azurite": "service_healthy"}
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        deps = _depends_on(services[name])
        for backing in BACKING_SERVICES:
            assert deps.get(backing) == "service_healthy", (name, backing)
        assert deps.get("airflow-init") == "service_completed_successfully", name


def test_airflow_services_share_celery_postgres_and_the_execution_api(
    services: dict[str, dict],
) -> None:
    for name in AIRFLOW_SERVICES:
        env = _environment(services[name])
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert (
            env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]
            == "http://airflow-apiserver:8080/execution/"
        ), name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql"), name
        assert "@postgres:" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], name
        assert "@redis:6379/" in env["AIRFLOW__CELERY__BROKER_URL"], name
        assert env["MLPIPELINES_DEFAULT_DATASTORE"] == "workspaceblobstore", name


def test_the_default_datastore_and_the_task_logs_are_on_azure_blob(
    services: dict[str, dict],
) -> None:
    for name in AIRFLOW_SERVICES:
        env = _environment(services[name])
        datastore = json.loads(env["AIRFLOW_CONN_WORKSPACEBLOBSTORE"])
        assert datastore["conn_type"] == "mlpipelines_azure_blob", name
        assert datastore["extra"]["container"] == "workspaceblobstore", name
        assert env["AIRFLOW__LOGGING__REMOTE_LOGGING"] == "true", name
        assert env["AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER"].startswith("wasb"), name
        logs = json.loads(
            env[f"AIRFLOW_CONN_{env['AIRFLOW__LOGGING__REMOTE_LOG_CONN_ID'].upper()}"]
        )
        assert logs["conn_type"] == "wasb", name


def test_workers_share_no_volume_and_are_distinct_hosts(services: dict[str, dict]) -> None:
    hostnames = {services[w].get("hostname") for w in WORKERS}
    assert len(hostnames) == len(WORKERS) and None not in hostnames, hostnames
    for worker in WORKERS:
        assert services[worker]["hostname"] == worker, "the API server reaches it by this name"
        assert _volume_sources(services[worker]) == set(), f"{worker} mounts a volume"
    for name in AIRFLOW_SERVICES - WORKERS:
        assert _volume_sources(services[name]) <= {"airflow-auth"}, name


def test_api_server_publishes_port_8080(services: dict[str, dict]) -> None:
    ports = [str(port) for port in services["airflow-apiserver"]["ports"]]
    assert any(port.endswith(":8080") for port in ports), ports


def test_long_running_services_have_healthchecks(services: dict[str, dict]) -> None:
    for name in LONG_RUNNING_SERVICES:
        test = services[name].get("healthcheck", {}).get("test")
        assert test and test[0] in {"CMD", "CMD-SHELL"}, name


def test_every_secret_comes_from_the_environment(services: dict[str, dict]) -> None:
    for name, service in services.items():
        for key, value in _environment(service).items():
            if SECRET_NAME.search(key) and not LOCATION_NAME.search(key):
                assert VARIABLE.fullmatch(value), f"{name}: {key} must come from ${{...}}"
            for match in URL_CREDENTIALS.finditer(VARIABLE.sub("${VAR}", value)):
                assert match["password"] == "${VAR}", f"{name}: {key} has an inline password"
            if key.startswith("AIRFLOW_CONN_"):
                extra = json.loads(value).get("extra", {})
                for secret in SECRET_EXTRAS:
                    if secret in extra:
                        assert VARIABLE.fullmatch(extra[secret]), f"{name}: {key} {secret}"
            if key == "AZURITE_ACCOUNTS":
                assert VARIABLE.search(value.split(":", 1)[1]), f"{name}: inline account key"


def test_env_example_names_every_required_variable() -> None:
    compose_text = COMPOSE_FILE.read_text()
    required = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?", compose_text))
    example = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    assert required, "compose file should require its secrets with ${NAME:?message}"
    assert required <= set(example), f"missing from .env.example: {required - set(example)}"
    for name in required:
        if SECRET_NAME.search(name):
            assert example[name] == "", f".env.example must not ship a value for {name}"


def _yamllint() -> str | None:
    beside_python = Path(sys.executable).parent / "yamllint"
    return str(beside_python) if beside_python.is_file() else shutil.which("yamllint")


def test_compose_file_passes_yamllint() -> None:
    yamllint = _yamllint()
    if yamllint is None:
        pytest.skip("yamllint not installed (pip install yamllint)")
    # Long lines are the URLs and connection JSON compose needs on one line.
    config = "{extends: default, rules: {line-length: disable, document-start: enable}}"
    result = subprocess.run(
        [yamllint, "--strict", "-d", config, str(COMPOSE_FILE)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
