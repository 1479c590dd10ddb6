"""Session fixtures for the real storage servers: ``azurite``, ``moto_s3``, ``samba``.

Each yields a handle with the server's connection details and ``location(...)`` /
``connection_body(...)`` builders for a fresh container, bucket or folder. Register them from a
conftest with ``from support.storage_fixtures import azurite, moto_s3, samba``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from mlpipelines.storage import StoreLocation
from mlpipelines.storage.connections import location_from_connection
from mlpipelines.storage.registration import registration_body
from support.storage_servers import (
    AZURITE_ACCOUNT,
    AZURITE_KEY,
    S3_KEY,
    S3_REGION,
    S3_SECRET,
    SMB_ACCOUNT,
    SMB_KEY,
    Azurite,
    MotoS3,
    Samba,
    start_azurite,
    start_moto,
    start_samba,
)


def unique(prefix: str) -> str:
    """A short lowercase name no other test uses (valid as container and bucket name)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def location_of(body: dict[str, Any]) -> StoreLocation:
    """The location a connection body describes, parsed as ``open_datastore`` would."""
    from types import SimpleNamespace

    return location_from_connection(body["connection_id"], SimpleNamespace(**body))


@dataclass
class AzuriteStore:
    server: Azurite

    def connection_body(
        self, name: str = "blobstore", container: str | None = None, prefix: str | None = None
    ) -> dict[str, Any]:
        """A connection for a fresh (created) container, by account name, key and endpoint."""
        container = container or unique("c")
        self.server.create_container(container)
        return registration_body(
            "azure_blob",
            name,
            container=container,
            account_name=AZURITE_ACCOUNT,
            account_key=AZURITE_KEY,
            endpoint=self.server.endpoint,
            protocol="http",
            prefix=prefix,
        )

    def location(self, name: str = "blobstore", **kwargs: Any) -> StoreLocation:
        return location_of(self.connection_body(name, **kwargs))


@dataclass
class MotoStore:
    server: MotoS3

    def connection_body(
        self, name: str = "s3store", bucket: str | None = None, prefix: str | None = None
    ) -> dict[str, Any]:
        """A connection for a fresh (created) bucket."""
        bucket = bucket or unique("b")
        self.server.create_bucket(bucket)
        return registration_body(
            "s3",
            name,
            bucket=bucket,
            access_key_id=S3_KEY,
            secret_access_key=S3_SECRET,
            endpoint_url=self.server.endpoint,
            region_name=S3_REGION,
            prefix=prefix,
        )

    def location(self, name: str = "s3store", **kwargs: Any) -> StoreLocation:
        return location_of(self.connection_body(name, **kwargs))


@dataclass
class SambaStore:
    server: Samba

    def connection_body(self, name: str = "filestore", prefix: str | None = None) -> dict[str, Any]:
        """A connection to the share below a fresh folder (the prefix)."""
        prefix = prefix or unique("p")
        return registration_body(
            "azure_file",
            name,
            share="datastore",
            account_name=SMB_ACCOUNT,
            account_key=SMB_KEY,
            host="127.0.0.1",
            port=self.server.port,
            prefix=prefix,
        )

    def location(self, name: str = "filestore", **kwargs: Any) -> StoreLocation:
        return location_of(self.connection_body(name, **kwargs))


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzuriteStore]:
    """Azurite (in memory) for the whole session."""
    server = start_azurite(tmp_path_factory.mktemp("azurite"))
    try:
        yield AzuriteStore(server)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoStore]:
    """moto's S3 server for the whole session."""
    server = start_moto()
    try:
        yield MotoStore(server)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def samba(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SambaStore]:
    """smbd with one share, ``datastore``, for the whole session."""
    server = start_samba(tmp_path_factory.mktemp("samba"))
    try:
        yield SambaStore(server)
    finally:
        import smbclient

        # Close pooled SMB sessions while logging still works (smbclient's atexit hook logs
        # into pytest's closed capture streams otherwise).
        smbclient.reset_connection_cache()
        server.stop()
