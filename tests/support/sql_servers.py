"""A real PostgreSQL on 127.0.0.1 for tests: Debian's ``postgresql`` (installed with apt-get
when missing and we are root), a fresh cluster in a temp dir run as the ``postgres`` user,
started once per session; the ``postgres`` fixture skips with the reason when it cannot run."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.storage_servers import free_port, wait_for_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "mlp_reader"
PG_PASSWORD = "Pg-Secret-7d41c2e9"
PG_DATABASE = "sales"


@dataclass
class PostgresServer:
    """A running cluster: a database ``sales`` owned by a password-protected user."""

    port: int
    folder: Path

    def run_sql(self, sql: str) -> str:
        """Run ``sql`` as the superuser on the ``sales`` database (test set-up only)."""
        out = subprocess.run(
            ["su", "postgres", "-c",
             f"{PG_BIN}/psql -h 127.0.0.1 -p {self.port} -d {PG_DATABASE} -v ON_ERROR_STOP=1 -qAt"],
            input=sql, capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        return out.stdout


def _ensure_installed() -> None:
    if (PG_BIN / "initdb").exists():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("PostgreSQL is not installed and apt-get is not available as root")
    subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], check=True, timeout=600)


def _as_postgres(command: str) -> None:
    subprocess.run(["su", "postgres", "-c", command], check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """PostgreSQL 15 on a free port, stopped (by its data folder) at the end of the session."""
    if os.geteuid() != 0:
        pytest.skip("initdb must run as the postgres user, which needs root to switch to")
    _ensure_installed()
    folder = Path(tempfile.mkdtemp(prefix="mlp-pg-"))
    shutil.chown(folder, "postgres", "postgres")
    port = free_port()
    data = folder / "data"
    _as_postgres(f"{PG_BIN}/initdb -D {data} -A trust -U postgres")
    # Password auth for TCP clients, so the tests read through a real secret.
    (data / "pg_hba.conf").write_text(
        "local all postgres trust\nhost all postgres 127.0.0.1/32 trust\n"
        "host all all 127.0.0.1/32 scram-sha-256\n"
    )
    _as_postgres(
        f"{PG_BIN}/pg_ctl -D {data} -w -l {folder}/log start "
        f"-o '-p {port} -k {folder} -c listen_addresses=127.0.0.1'"
    )
    try:
        wait_for_port(port)
        server = PostgresServer(port, folder)
        _as_postgres(
            f"{PG_BIN}/psql -h 127.0.0.1 -p {port} -d postgres -q "
            f"-c \"CREATE USER {PG_USER} PASSWORD '{PG_PASSWORD}'\" "
            f'-c "CREATE DATABASE {PG_DATABASE} OWNER {PG_USER}"'
        )
        yield server
    finally:
        subprocess.run(
            ["su", "postgres", "-c", f"{PG_BIN}/pg_ctl -D {data} -m immediate stop"],
            capture_output=True, timeout=60,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)
