"""Real storage servers on 127.0.0.1 for tests: Azurite (Azure Blob), moto (S3), Samba (SMB,
standing in for Azure Files). Each is installed when missing and started on a free port.

- Azurite: npm ``azurite@3.35.0`` into ``<repo>/.cache/azurite`` (Node 20 runs nothing newer),
  installed by ``scripts/local_services.py``, which the local cluster shares.
- moto: ``moto[server]`` from the dev extra, run in-process (``ThreadedMotoServer``); its data
  lives in the process, so a stopped and restarted server still has its buckets.
- Samba: Debian's ``samba`` (``apt-get install`` when missing and we are root); state folders
  in a temp dir, one user mapped onto the current Unix user.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_services import (
    AZURITE_ACCOUNT,
    AZURITE_KEY,
    azurite_argv,
    azurite_connection_string,
    free_port,
    wait_for_port,
)

__all__ = ["AZURITE_ACCOUNT", "AZURITE_KEY", "free_port", "wait_for_port"]

S3_KEY = "testing-key-id"
S3_SECRET = "testing-secret-key-0123456789"
S3_REGION = "eu-west-1"
SMB_ACCOUNT = "mlpstorageacct"
SMB_KEY = "Smb-Account-Key-0123456789"


@dataclass
class Azurite:
    """A running Azurite blob service."""

    workdir: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return azurite_connection_string(self.port)

    def start(self) -> Azurite:
        """Start (or restart on the same port) and wait until it listens."""
        args = azurite_argv(self.port)
        # --inMemoryPersistence refuses --location; the debug log and extent files still go
        # to the working directory, so give it ours.
        self.process = subprocess.Popen(
            args, cwd=self.workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline().decode(errors="replace")
            if not line and self.process.poll() is not None:
                raise RuntimeError(f"Azurite exited with {self.process.returncode}")
            found = re.search(r"successfully listens on http://127\.0\.0\.1:(\d+)", line)
            if found:
                self.port = int(found.group(1))
                wait_for_port(self.port)
                _drain(self.process)
                return self
        self.stop()
        raise RuntimeError("Azurite did not report its port within 30 s")

    def stop(self) -> None:
        _stop(self.process)
        self.process = None

    def create_container(self, name: str) -> None:
        from azure.core.exceptions import ResourceExistsError
        from azure.storage.blob import BlobServiceClient

        client = BlobServiceClient.from_connection_string(self.connection_string)
        with suppress(ResourceExistsError):
            client.create_container(name)


def start_azurite(workdir: Path) -> Azurite:
    """Azurite on a free port, in memory."""
    workdir.mkdir(parents=True, exist_ok=True)
    return Azurite(workdir).start()


# -- moto (S3) --------------------------------------------------------------------------------
@dataclass
class MotoS3:
    """moto's server in this process, restartable on the same port with its data kept."""

    port: int = 0
    server: Any = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoS3:
        from moto.server import ThreadedMotoServer

        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
        self.port = self.server._server.server_port
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def create_bucket(self, name: str) -> None:
        import boto3

        client = boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=S3_KEY,
            aws_secret_access_key=S3_SECRET, region_name=S3_REGION,
        )  # fmt: skip
        existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        if name not in existing:
            client.create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": S3_REGION}
            )


def start_moto() -> MotoS3:
    """moto's S3 on a free port."""
    return MotoS3().start()


# -- Samba (SMB, for Azure Files) -------------------------------------------------------------
def smbd_binary() -> str:
    """``smbd``, installed from Debian's ``samba`` package when missing and possible."""
    found = shutil.which("smbd") or ("/usr/sbin/smbd" if Path("/usr/sbin/smbd").exists() else None)
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError(
            "Samba's smbd is missing and cannot be installed here (needs root and apt-get): "
            "run `apt-get install samba` to run the Azure Files (SMB) tests"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "samba"]
    done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=600)
        done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
    found = shutil.which("smbd") or ("/usr/sbin/smbd" if Path("/usr/sbin/smbd").exists() else None)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"apt-get install samba failed: {done.stderr[-2000:]}")
    return found


@dataclass
class Samba:
    """A running smbd serving share folders from a temp dir to one user."""

    workdir: Path
    shares: tuple[str, ...] = ("datastore",)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    share_dirs: dict[str, Path] = field(default_factory=dict)

    def start(self) -> Samba:
        smbd = smbd_binary()
        unix_user = _unix_user()
        conf = self._write_conf(unix_user)
        pdbedit = shutil.which("smbpasswd") or "/usr/bin/smbpasswd"
        subprocess.run(
            [pdbedit, "-c", str(conf), "-s", "-a", unix_user],
            input=f"{SMB_KEY}\n{SMB_KEY}\n".encode(), check=True, capture_output=True,
        )  # fmt: skip
        self.port = self.port or free_port()
        self._conf = conf
        self.process = subprocess.Popen(
            [smbd, "--foreground", "--no-process-group", "-s", str(conf), "-p", str(self.port),
             "--debug-stdout", "-d", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        _stop(self.process)
        self.process = None

    def _write_conf(self, unix_user: str) -> Path:
        state = self.workdir / "state"
        for sub in ("private", "lock", "state", "cache", "pid", "log", "ncalrpc"):
            (state / sub).mkdir(parents=True, exist_ok=True)
        (self.workdir / "usermap").write_text(f"{unix_user} = {SMB_ACCOUNT}\n")
        lines = [
            "[global]",
            "interfaces = 127.0.0.1",
            "bind interfaces only = yes",
            "server role = standalone server",
            "server min protocol = SMB3",
            "map to guest = never",
            "passdb backend = tdbsam",
            f"private dir = {state / 'private'}",
            f"lock directory = {state / 'lock'}",
            f"state directory = {state / 'state'}",
            f"cache directory = {state / 'cache'}",
            f"pid directory = {state / 'pid'}",
            f"ncalrpc dir = {state / 'ncalrpc'}",
            f"log file = {state / 'log' / 'smbd.log'}",
            f"username map = {self.workdir / 'usermap'}",
            "disable spoolss = yes",
            "load printers = no",
            "printing = bsd",
            "printcap name = /dev/null",
            "smb ports = 445",
        ]
        for share in self.shares:
            folder = self.workdir / "shares" / share
            folder.mkdir(parents=True, exist_ok=True)
            self.share_dirs[share] = folder
            lines += [
                f"[{share}]",
                f"path = {folder}",
                "read only = no",
                f"valid users = {unix_user}",
                f"force user = {unix_user}",
            ]
        conf = self.workdir / "smb.conf"
        conf.write_text("\n".join(lines) + "\n")
        return conf


def start_samba(workdir: Path, shares: tuple[str, ...] = ("datastore",)) -> Samba:
    """smbd on a free port with ``shares``."""
    workdir.mkdir(parents=True, exist_ok=True)
    return Samba(workdir, shares).start()


def _unix_user() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def _drain(process: subprocess.Popen[bytes]) -> None:
    """Keep reading a server's output so a full pipe never blocks it."""
    import threading

    def read() -> None:
        assert process.stdout is not None
        for _ in iter(process.stdout.readline, b""):
            pass

    threading.Thread(target=read, daemon=True).start()


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
