"""An Azure Files share (or any SMB 3 share), as a datastore kind (smbprotocol, imported late)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mlpipelines.datastore_kinds.base import (
    PREFIX_FIELD,
    ConnectionForm,
    DatastoreKind,
    FormField,
    required_extra,
)
from mlpipelines.errors import UserErrorException

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

SMB_PORT = 445


class AzureFilesKind(DatastoreKind):
    """An Azure Files share over SMB (account name and key as SMB user and password)."""

    name = "azure_file"
    datastore_type = "AzureFile"
    conn_type = "mlpipelines_azure_file"
    hook_name = "ML pipelines datastore: Azure Files share (SMB)"
    hook_class_name = "AzureFileDatastoreHook"
    default_conn_name = "workspacefilestore"
    uri_scheme = "smb"
    connection_settings = {
        "account_name": "login",
        "account_key": "password",
        "host": "host",
        "port": "port",
    }
    extra_keys = ("share", "prefix", "encrypt")
    secret_fields = frozenset({"password"})
    secret_options = frozenset({"password"})
    form = ConnectionForm(
        fields={
            "share": FormField("Share", "File share name"),
            "prefix": PREFIX_FIELD,
            "encrypt": FormField("Encrypt", "Require SMB 3 encryption", widget="boolean"),
        },
        relabeling={
            "host": "SMB host",
            "login": "Storage account name",
            "password": "Account key",
        },
        placeholders={
            "host": "<account>.file.core.windows.net (default)",
            "port": "445",
            "extra": '{"share": "data"}',
        },
    )
    # smbprotocol shares one connection per server and fails a request ("requires N credits
    # but only 0 are available") instead of waiting when threads race for credits.
    parallel_copies = False

    @classmethod
    def top_and_options(
        cls, name: str, fields: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        share = required_extra(name, extra, "share", "extra 'share'")
        account = fields["login"]
        if not account or not fields["password"]:
            raise UserErrorException(
                f"datastore '{name}': login (account name) and password (account key) are required"
            )
        encrypt = extra.get("encrypt")
        if isinstance(encrypt, str):
            encrypt = encrypt.strip().lower() in ("1", "true", "yes")
        options = {
            "host": fields["host"] or f"{account}.file.core.windows.net",
            "port": int(fields["port"] or SMB_PORT),
            "username": account,
            "password": fields["password"],
            "encrypt": encrypt,
        }
        return "/" + share.strip("/"), options

    @classmethod
    def filesystem(cls, options: Mapping[str, Any]) -> AbstractFileSystem:
        from fsspec.implementations.smb import SMBFileSystem

        return SMBFileSystem(
            host=options["host"],
            port=int(options.get("port") or SMB_PORT),
            username=options.get("username"),
            password=options.get("password"),
            encrypt=options.get("encrypt"),
            register_session_retries=int(options.get("connect_retries", 1)),
            register_session_retry_wait=1,
            auto_mkdir=True,
        )

    @classmethod
    def uri(cls, path: str, options: Mapping[str, Any]) -> str:
        return f"smb://{options.get('host')}:{options.get('port', SMB_PORT)}{path}"

    @classmethod
    def spark_uri(cls, path: str, options: Mapping[str, Any]) -> str | None:
        return None  # Databricks mounts no SMB share

    @classmethod
    def top(cls, root: str) -> str:
        return "/" + root.lstrip("/").split("/", 1)[0]

    @classmethod
    def probe(cls, options: Mapping[str, Any], top: str) -> None:
        """Log on to the SMB server afresh and list the share.

        smbclient pools one session per user and server for the whole process, so a wrong
        password would ride on an earlier good session; a private cache makes the server check
        this one.
        """
        import smbclient
        from fsspec.implementations.smb import _as_unc_path

        cache: dict[str, Any] = {}
        host, port = options["host"], int(options.get("port") or SMB_PORT)
        try:
            smbclient.register_session(
                host,
                username=options.get("username"),
                password=options.get("password"),
                port=port,
                encrypt=options.get("encrypt"),
                connection_cache=cache,
            )
            smbclient.listdir(_as_unc_path(host, top), port=port, connection_cache=cache)
        finally:
            smbclient.reset_connection_cache(connection_cache=cache)

    @classmethod
    def replace(cls, fs: AbstractFileSystem, source: str, target: str) -> None:
        import smbclient
        from fsspec.implementations.smb import _as_unc_path

        smb_source, smb_target = _as_unc_path(fs.host, source), _as_unc_path(fs.host, target)
        smbclient.replace(smb_source, smb_target, port=fs._port)
