"""Datastores: named storage that steps read from and write to.

A datastore is a local folder registered in the workspace, or an Airflow connection whose
conn_id is the datastore's name (Azure Blob, Azure Files, S3, a local folder on the workers).
Building one never touches storage or the network, so DAG files can name any datastore;
it is opened when data moves.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlpipelines.datastore_kinds import (
    AzureBlobKind,
    AzureFilesKind,
    LocalFolderKind,
    S3Kind,
    UnknownDatastoreKind,
    datastore_kind,
)
from mlpipelines.errors import UserErrorException
from mlpipelines.model.datastore_registration import (
    DatastoreRegistrations,
    forget_registration,
    store_registration,
)
from mlpipelines.records.datastore import CONNECTION_KIND, DatastoreSpec
from mlpipelines.records.paths import clean_relative_path

if TYPE_CHECKING:
    from mlpipelines.model.data import DataReference
    from mlpipelines.model.workspace import Workspace


class DatastoreNotFoundException(UserErrorException):
    """A datastore name the workspace does not know and Airflow has no connection for."""


class Datastore(DatastoreRegistrations):
    """A datastore of a workspace: ``Datastore(ws, name)`` or ``Datastore.get(ws, name)``;
    a name that is neither registered nor an Airflow connection raises
    ``DatastoreNotFoundException`` (a ``UserErrorException``), as in Azure ML."""

    def __init__(self, workspace: Workspace, name: str | None = None) -> None:
        name = name or workspace.default_datastore_name
        spec = workspace.datastore_spec(name)
        if spec.kind == CONNECTION_KIND:
            _check_known(workspace, name)
        self.workspace = workspace
        self.name = name
        self.spec: DatastoreSpec = spec
        self.datastore_type = _datastore_type(spec.kind)

    @classmethod
    def get(cls, workspace: Workspace, datastore_name: str) -> Datastore:
        """Fetch a datastore by name."""
        return cls(workspace, datastore_name)

    @staticmethod
    def get_default(workspace: Workspace) -> Datastore:
        return workspace.get_default_datastore()

    # -- registration -------------------------------------------------------------------------
    @staticmethod
    def register_local_folder(
        workspace: Workspace, datastore_name: str, path: str, overwrite: bool = False
    ) -> Datastore:
        """Register a local folder (on the Airflow workers) as a datastore of this workspace;
        where the workspace names an Airflow, also as an ``mlpipelines_local`` connection, so
        DAG files and other clients can name it."""
        if datastore_name in workspace.datastore_specs and not overwrite:
            raise UserErrorException(f"datastore '{datastore_name}' exists; pass overwrite=True")
        folder = os.path.abspath(os.path.expanduser(path))
        if workspace.airflow_url:
            from mlpipelines.client.connections import store_connection
            from mlpipelines.storage.registration import registration_body

            body = registration_body(LocalFolderKind.name, datastore_name, path=folder)
            store_connection(workspace, body, overwrite)
        spec = DatastoreSpec(datastore_name, LocalFolderKind.name, folder)
        workspace.datastore_specs[datastore_name] = spec
        return Datastore(workspace, datastore_name)

    @staticmethod
    def register_azure_blob_container(
        workspace: Workspace,
        datastore_name: str,
        container_name: str,
        account_name: str | None = None,
        sas_token: str | None = None,
        account_key: str | None = None,
        protocol: str | None = None,
        endpoint: str | None = None,
        overwrite: bool = False,
        create_if_not_exists: bool = False,
        skip_validation: bool = False,
        connection_string: str | None = None,
        prefix: str | None = None,
        **_: Any,
    ) -> Datastore:
        """An Azure Blob container as a datastore: an Airflow connection holds its secret."""
        from mlpipelines.storage.registration import registration_body

        body = registration_body(
            AzureBlobKind.name,
            datastore_name,
            container=container_name,
            account_name=account_name,
            account_key=account_key,
            sas_token=sas_token,
            connection_string=connection_string,
            endpoint=endpoint,
            protocol=protocol,
            prefix=prefix,
        )
        if create_if_not_exists:
            _create_container(datastore_name, body)
        return _register(workspace, body, overwrite, skip_validation)

    @staticmethod
    def register_azure_file_share(
        workspace: Workspace,
        datastore_name: str,
        file_share_name: str,
        account_name: str,
        sas_token: str | None = None,
        account_key: str | None = None,
        protocol: str | None = None,
        endpoint: str | None = None,
        overwrite: bool = False,
        create_if_not_exists: bool = False,
        skip_validation: bool = False,
        host: str | None = None,
        port: int | None = None,
        prefix: str | None = None,
        **_: Any,
    ) -> Datastore:
        """An Azure file share (SMB 3) as a datastore; the account key is the SMB password."""
        from mlpipelines.storage.registration import registration_body

        if account_key is None:
            raise UserErrorException(
                f"datastore '{datastore_name}': Azure Files is reached over SMB, which needs "
                "account_key (a SAS token cannot open an SMB session)"
            )
        body = registration_body(
            AzureFilesKind.name,
            datastore_name,
            share=file_share_name,
            account_name=account_name,
            account_key=account_key,
            host=host or (f"{account_name}.file.{endpoint or 'core.windows.net'}"),
            port=port,
            prefix=prefix,
        )
        return _register(workspace, body, overwrite, skip_validation)

    @staticmethod
    def register_s3_bucket(
        workspace: Workspace,
        datastore_name: str,
        bucket_name: str,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        prefix: str | None = None,
        overwrite: bool = False,
        skip_validation: bool = False,
    ) -> Datastore:
        """An S3 (or S3-compatible) bucket as a datastore."""
        from mlpipelines.storage.registration import registration_body

        body = registration_body(
            S3Kind.name,
            datastore_name,
            bucket=bucket_name,
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            endpoint_url=endpoint_url,
            region_name=region_name,
            prefix=prefix,
        )
        return _register(workspace, body, overwrite, skip_validation)

    def unregister(self) -> None:
        """Remove this datastore: its Airflow connection (through the REST API when the
        workspace names one) and its registration in this process. The data stays."""
        from mlpipelines.storage.deployment import DEFAULT_DATASTORES

        if self.name in DEFAULT_DATASTORES:
            raise UserErrorException(
                f"datastore '{self.name}' is a default datastore of the workspace and cannot "
                "be unregistered"
            )
        forget_registration(self.workspace, self.name)

    # -- data references ----------------------------------------------------------------------
    def path(
        self, path: str | None = None, data_reference_name: str | None = None
    ) -> DataReference:
        """A DataReference to ``path`` on this datastore."""
        from mlpipelines.model.data import DataReference

        return DataReference(self, data_reference_name, path_on_datastore=path)

    def as_mount(self) -> DataReference:
        return self.path().as_mount()

    def as_download(self, path_on_compute: str | None = None) -> DataReference:
        return self.path().as_download(path_on_compute)

    def as_upload(self, path_on_compute: str | None = None) -> DataReference:
        return self.path().as_upload(path_on_compute)

    # -- transfers ----------------------------------------------------------------------------
    @property
    def root(self) -> Path:
        """The datastore's folder as seen from this process (local folders only)."""
        return self.workspace.datastore_root(self.name)

    @property
    def location(self) -> Any:
        """This datastore opened for I/O (a ``StoreLocation``): a registration made in this
        process, else a local folder of the workspace (as a step sees it), else the Airflow
        connection of this name."""
        from types import SimpleNamespace

        from mlpipelines.storage.connections import location_from_connection, open_datastore
        from mlpipelines.storage.location import StoreLocation

        body = self.workspace.registered_connections.get(self.name)
        if body is not None:
            return location_from_connection(self.name, SimpleNamespace(**body))
        if self.spec.kind == LocalFolderKind.name:
            return StoreLocation.local(self.root, datastore=self.name)
        return open_datastore(self.name, self.workspace)

    def upload_files(
        self,
        files: Iterable[str],
        relative_root: str | None = None,
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> DataReference:
        """Copy files onto the datastore under ``target_path``, keeping paths below
        ``relative_root`` (default: each file's own folder). Existing files are kept unless
        ``overwrite``."""
        from mlpipelines.storage.transfer import upload_files

        upload_files(
            list(files), self.location, target_path, relative_root, overwrite, show_progress
        )
        return self.path(clean_relative_path(target_path, "target_path") or None)

    def upload(
        self,
        src_dir: str,
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> DataReference:
        """Copy a folder's files onto the datastore under ``target_path``."""
        from mlpipelines.storage.transfer import upload_folder

        upload_folder(src_dir, self.location, target_path, overwrite, show_progress)
        return self.path(clean_relative_path(target_path, "target_path") or None)

    def download(
        self,
        target_path: str,
        prefix: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> int:
        """Copy the datastore's files under ``prefix`` into ``target_path`` (keeping their
        datastore paths); returns how many files it copied."""
        from mlpipelines.storage.transfer import download

        return download(self.location, prefix, target_path, overwrite, show_progress).copied

    # -- Azure ML's descriptive attributes ------------------------------------------------
    @property
    def account_name(self) -> str:
        """The storage account (bucket owner) of a remote store; ``local`` for a local folder,
        so the samples' ``'Account: ' + ds.account_name`` works everywhere."""
        if self.spec.kind == LocalFolderKind.name:
            return "local"
        return str(dict(self.location.options).get("account_name") or self.name)

    @property
    def container_name(self) -> str:
        """The container, bucket or share (a local folder: the folder's name)."""
        if self.spec.kind == LocalFolderKind.name:
            return self.root.name
        return self.location.root.strip("/").split("/", 1)[0]

    protocol = "https"
    endpoint = "core.windows.net"

    def to_dict(self) -> dict[str, Any]:
        return self.spec.to_dict()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Datastore) and other.spec == self.spec

    def __hash__(self) -> int:
        return hash(self.spec)

    def __repr__(self) -> str:
        return f"Datastore(name={self.name!r}, type={self.datastore_type!r})"


def _datastore_type(kind: str) -> str:
    """Azure ML's name for a datastore kind (``AzureBlob``, ...)."""
    if kind == CONNECTION_KIND:
        return "AirflowConnection"
    try:
        return datastore_kind(kind).datastore_type
    except UnknownDatastoreKind:
        return kind


def _register(
    workspace: Workspace, body: dict[str, Any], overwrite: bool, skip_validation: bool
) -> Datastore:
    """Store a registration (``store_registration``) and return its datastore."""
    store_registration(workspace, body, overwrite, skip_validation)
    return Datastore(workspace, body["connection_id"])


def _check_known(workspace: Workspace, name: str) -> None:
    """Refuse a name that is neither registered in this process nor an Airflow connection:
    asked of the workspace's Airflow when it names one, else of this process's connections
    (``AIRFLOW_CONN_<NAME>``, Airflow's secrets backends)."""
    from mlpipelines.records.reserved import ENV_STEP_NAME
    from mlpipelines.storage.registration import environment_name

    if name in workspace.registered_connections or environment_name(name) in os.environ:
        return
    if ENV_STEP_NAME in os.environ and not workspace.airflow_url:
        return  # a step script never imports Airflow: a missing store fails when opened
    if workspace.airflow_url:
        from mlpipelines.client.connections import connection_exists

        if connection_exists(workspace, name):
            return
    else:
        from mlpipelines.storage.connections import airflow_connection

        if airflow_connection(name) is not None:
            return
    raise DatastoreNotFoundException(
        f"no datastore named '{name}' in workspace '{workspace.name}': it is not registered "
        "and Airflow has no connection with that conn_id. Register it first, e.g. "
        f"Datastore.register_azure_blob_container(ws, '{name}', container_name, account_name, "
        f"account_key=...), Datastore.register_local_folder(ws, '{name}', path), or create the "
        f"Airflow connection '{name}' (UI, `airflow connections add`, or the environment "
        f"variable {environment_name(name)})"
    )


def _create_container(name: str, body: dict[str, Any]) -> None:
    """Create the container a blob registration names, if it is missing."""
    from types import SimpleNamespace

    from mlpipelines.storage.connections import location_from_connection

    location = location_from_connection(name, SimpleNamespace(**body))
    try:
        if not location.fs.exists(location.top):
            location.fs.mkdir(location.top)
    except Exception as exc:
        raise location.error("could not create its container", exc) from None
