"""A real PostgreSQL on 127.0.0.1 for tests: Debian's ``postgresql`` (installed with apt-get
when missing and we are root, by ``scripts/local_services.py``), a fresh cluster in a temp dir
run as the ``postgres`` user, started once per session; the ``postgres`` fixture skips with
the reason when it cannot run."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from local_services import (
    MissingProgramError,
    free_port,
    init_postgres,
    psql,
    stop_postgres,
)

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
        return psql(self.folder / "data", self.port, PG_DATABASE, sql)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """PostgreSQL 15 on a free port, stopped (by its data folder) at the end of the session."""
    folder = Path(tempfile.mkdtemp(prefix="mlp-pg-"))
    port = free_port()
    # Password auth for TCP clients, so the tests read through a real secret.
    hba = (
        "local all postgres trust\nhost all postgres 127.0.0.1/32 trust\n"
        "host all all 127.0.0.1/32 scram-sha-256\n"
    )
    try:
        data = init_postgres(folder, port, hba)
    except MissingProgramError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(str(exc))
    try:
        psql(
            data, port, "postgres",
            f"CREATE USER {PG_USER} PASSWORD '{PG_PASSWORD}';\n"
            f"CREATE DATABASE {PG_DATABASE} OWNER {PG_USER};\n",
        )  # fmt: skip
        yield PostgresServer(port, folder)
    finally:
        stop_postgres(data, mode="immediate")
        shutil.rmtree(folder, ignore_errors=True)
