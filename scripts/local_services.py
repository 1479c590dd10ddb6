"""Servers on 127.0.0.1 that both the tests and ``scripts/cluster.py`` run: Azurite (npm),
PostgreSQL 15 and Redis (Debian packages), each installed when missing.

Callers start and stop their own servers; this module finds or installs the programs and
holds the steps both do the same way (a free port, waiting for one, a Postgres cluster owned
by the ``postgres`` user, Azurite's command line and well-known account).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AZURITE_VERSION = "3.35.0"
AZURITE_DIR = REPO / ".cache" / "azurite"
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
PG_BIN = Path("/usr/lib/postgresql/15/bin")
REDIS_SERVER = Path("/usr/bin/redis-server")


class MissingProgramError(RuntimeError):
    """A server program is missing and cannot be installed here (no root or no apt-get)."""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    """Block until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


# -- Azurite ----------------------------------------------------------------------------------
def azurite_binary() -> Path:
    """``azurite-blob``, installed with npm into the repo's cache folder when missing."""
    binary = AZURITE_DIR / "node_modules" / ".bin" / "azurite-blob"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        raise MissingProgramError("Azurite needs npm (Node 20): apt-get install nodejs npm")
    AZURITE_DIR.mkdir(parents=True, exist_ok=True)
    # Run npm from elsewhere: a bare name next to a folder of that name is read as the folder.
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--prefix", str(AZURITE_DIR),
         f"azurite@{AZURITE_VERSION}"],
        cwd=tempfile.gettempdir(), check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    if not binary.exists():
        raise RuntimeError(f"npm installed Azurite but {binary} is missing")
    return binary


def azurite_argv(port: int, location: Path | None = None) -> list[str]:
    """Azurite's blob service on 127.0.0.1:``port`` (0: any), its data in ``location`` or in
    memory. ``--skipApiVersionCheck``: azure-storage-blob speaks a newer API than Azurite
    3.35; ``--disableTelemetry``: it would otherwise try to reach the internet."""
    store = ["--location", str(location)] if location else ["--inMemoryPersistence"]
    return [
        str(azurite_binary()), "--blobHost", "127.0.0.1", "--blobPort", str(port), *store,
        "--skipApiVersionCheck", "--loose", "--disableTelemetry",
    ]  # fmt: skip


def azurite_connection_string(port: int) -> str:
    """The connection string of Azurite's well-known account on 127.0.0.1:``port``."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
    )


# -- Debian packages: PostgreSQL, Redis -------------------------------------------------------
def apt_install(package: str, program: Path) -> Path:
    """``program``, installing Debian's ``package`` first when it is missing and we are root."""
    if program.exists():
        return program
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise MissingProgramError(
            f"{program} is missing and cannot be installed here (needs root and apt-get): "
            f"run `apt-get install {package}`"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", package]
    done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=600)
        done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0 or not program.exists():
        raise MissingProgramError(f"apt-get install {package} failed: {done.stderr[-2000:]}")
    return program


def as_postgres(command: str, stdin: str | None = None, timeout: float = 120) -> str:
    """Run a shell command as the ``postgres`` user (initdb and the server refuse root);
    ``stdin`` carries anything secret, never the command line."""
    done = subprocess.run(
        ["su", "postgres", "-c", command], input=stdin, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"as postgres: {command} failed: {done.stderr[-2000:]}")
    return done.stdout


def init_postgres(folder: Path, port: int, hba: str) -> Path:
    """Create a cluster in ``folder``/data owned by ``postgres`` with ``hba`` as its
    pg_hba.conf, start it on 127.0.0.1:``port`` (socket in ``folder``), return the data folder."""
    if os.geteuid() != 0:
        raise MissingProgramError("initdb runs as the postgres user, which needs root")
    apt_install("postgresql", PG_BIN / "initdb")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.chown(folder, "postgres", "postgres")
    folder.chmod(0o700)
    data = folder / "data"
    as_postgres(f"{PG_BIN}/initdb -D {data} -A trust -U postgres")
    (data / "pg_hba.conf").write_text(hba)
    start_postgres(data, port)
    return data


def start_postgres(data: Path, port: int) -> None:
    """Start an existing cluster and wait until it accepts connections."""
    folder = data.parent
    as_postgres(
        f"{PG_BIN}/pg_ctl -D {data} -w -l {folder}/log start "
        f"-o '-p {port} -k {folder} -c listen_addresses=127.0.0.1'"
    )
    wait_for_port(port)


def stop_postgres(data: Path, mode: str = "fast") -> None:
    """Stop the cluster in ``data`` (pg_ctl finds the server by its postmaster.pid)."""
    if (data / "postmaster.pid").exists():
        subprocess.run(
            ["su", "postgres", "-c", f"{PG_BIN}/pg_ctl -D {data} -m {mode} -w stop"],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip


def psql(data: Path, port: int, database: str, sql: str) -> str:
    """Run ``sql`` as the superuser over the cluster's Unix socket (next to ``data``); the
    SQL is read from stdin, so a password in it never reaches a command line."""
    return as_postgres(
        f"{PG_BIN}/psql -h {data.parent} -p {port} -d {database} -v ON_ERROR_STOP=1 -qAt",
        stdin=sql,
    )
