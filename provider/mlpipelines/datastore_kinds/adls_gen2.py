"""Azure Data Lake Storage Gen2, as a datastore kind: a blob account with a hierarchical
namespace, read through adlfs (``abfs://``) with a service principal or a connection string."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from mlpipelines.datastore_kinds.azure_blob import CONTAINER_NAME, AzureBlobKind, account_name_of
from mlpipelines.datastore_kinds.base import PREFIX_FIELD, ConnectionForm, FormField, required_extra
from mlpipelines.errors import UserErrorException

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

_PRINCIPAL = ("tenant_id", "client_id", "client_secret")


class AdlsGen2Kind(AzureBlobKind):
    """An ADLS Gen2 filesystem (service principal: tenant, client id and secret; or a
    connection string, e.g. for an emulator)."""

    name = "azure_data_lake_gen2"
    datastore_type = "AzureDataLakeGen2"
    conn_type = "mlpipelines_adls_gen2"
    hook_name = "ML pipelines datastore: Azure Data Lake Storage Gen2"
    hook_class_name = "AdlsGen2DatastoreHook"
    uri_scheme = "abfs"
    connection_settings = {"account_name": "login", "client_secret": "password"}
    extra_keys: ClassVar[tuple[str, ...]] = (
        "filesystem", "prefix", "tenant_id", "client_id", "connection_string", "endpoint",
        "protocol",
    )  # fmt: skip
    secret_fields = frozenset({"password", "connection_string"})
    secret_options = frozenset({"client_secret", "connection_string"})
    form = ConnectionForm(
        fields={
            "filesystem": FormField("Filesystem", "The Data Lake filesystem (container) name"),
            "prefix": PREFIX_FIELD,
            "tenant_id": FormField("Tenant id", "The service principal's Azure AD tenant"),
            "client_id": FormField("Client id", "The service principal's application id"),
            "connection_string": FormField(
                "Connection string", "Instead of the service principal (e.g. an emulator)"
            ),
            "endpoint": FormField("Endpoint suffix", "Only for sovereign clouds"),
            "protocol": FormField("Protocol", "https (default) or http"),
        },
        relabeling={"login": "Storage account name", "password": "Client secret"},
        placeholders={"login": "mydatalake", "extra": '{"filesystem": "raw"}'},
    )

    @classmethod
    def top_and_options(
        cls, name: str, fields: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        filesystem = required_extra(name, extra, "filesystem", "extra 'filesystem'")
        if not CONTAINER_NAME.match(filesystem):
            raise UserErrorException(
                f"datastore '{name}': filesystem '{filesystem}' is not a valid name "
                "(3-63 lowercase letters, digits and single hyphens)"
            )
        principal = {"tenant_id": extra.get("tenant_id"), "client_id": extra.get("client_id"),
                     "client_secret": fields["password"]}  # fmt: skip
        connection_string = extra.get("connection_string")
        if connection_string and any(principal.values()):
            raise UserErrorException(
                f"datastore '{name}': give a service principal or a connection string, not both"
            )
        if not connection_string:
            missing = [k for k in _PRINCIPAL if not principal[k]]
            if missing:
                raise UserErrorException(
                    f"datastore '{name}': a Data Lake Gen2 datastore needs tenant_id, client_id "
                    f"and client_secret (missing {', '.join(missing)}), or a connection string"
                )
            if not fields["login"]:
                raise UserErrorException(
                    f"datastore '{name}': login (the storage account name) is empty"
                )
        options = {
            "account_name": fields["login"],
            **principal,
            "connection_string": connection_string,
            "endpoint": extra.get("endpoint"),
            "protocol": extra.get("protocol"),
        }
        return filesystem, options

    @classmethod
    def spark_uri(cls, path: str, options: Mapping[str, Any]) -> str | None:
        """``abfss://filesystem@account.dfs.core.windows.net/...``, the form Spark reads."""
        filesystem, _, rest = path.partition("/")
        suffix = options.get("endpoint") or "core.windows.net"
        return f"abfss://{filesystem}@{account_name_of(options)}.dfs.{suffix}/{rest}"

    @classmethod
    def filesystem(cls, options: Mapping[str, Any]) -> AbstractFileSystem:
        from adlfs import AzureBlobFileSystem

        if options.get("connection_string"):
            return AzureBlobFileSystem(connection_string=options["connection_string"])
        account = options["account_name"]
        host = f"{account}.blob.{options.get('endpoint') or 'core.windows.net'}"
        return AzureBlobFileSystem(
            account_name=account,
            account_host=host,
            tenant_id=options["tenant_id"],
            client_id=options["client_id"],
            client_secret=options["client_secret"],
        )
