"""An Azure Blob container, as a datastore kind (adlfs, imported when the filesystem is built)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

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

BLOB_MAX_CONCURRENCY = 4
CONTAINER_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")


class AzureBlobKind(DatastoreKind):
    """An Azure Blob container (account name and key, SAS token or connection string; none
    of them for a public container, read anonymously)."""

    name = "azure_blob"
    datastore_type = "AzureBlob"
    conn_type = "mlpipelines_azure_blob"
    hook_name = "ML pipelines datastore: Azure Blob container"
    hook_class_name = "AzureBlobDatastoreHook"
    uri_scheme = "az"
    connection_settings = {"account_name": "login", "account_key": "password"}
    extra_keys: ClassVar[tuple[str, ...]] = (
        "container",
        "prefix",
        "sas_token",
        "connection_string",
        "endpoint",
        "protocol",
    )
    secret_fields = frozenset({"password", "sas_token", "connection_string"})
    secret_options = frozenset({"account_key", "sas_token", "connection_string"})
    form = ConnectionForm(
        fields={
            "container": FormField("Container", "Blob container name"),
            "prefix": PREFIX_FIELD,
            "sas_token": FormField("SAS token", "Instead of the account key"),
            "connection_string": FormField("Connection string", "Instead of account name and key"),
            "endpoint": FormField(
                "Blob endpoint", "Only for emulators or sovereign clouds, e.g. Azurite's URL"
            ),
            "protocol": FormField("Protocol", "https (default) or http"),
        },
        relabeling={"login": "Storage account name", "password": "Account key"},
        placeholders={"login": "mystorageaccount", "extra": '{"container": "data"}'},
    )
    atomic_create = True  # blocks appear only when the block list is committed

    @classmethod
    def top_and_options(
        cls, name: str, fields: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        container = required_extra(name, extra, "container", "extra 'container'")
        if not CONTAINER_NAME.match(container):
            raise UserErrorException(
                f"datastore '{name}': container '{container}' is not a valid name "
                "(3-63 lowercase letters, digits and single hyphens)"
            )
        credentials = [
            k for k, v in (("password (account key)", fields["password"]),
                           ("extra 'sas_token'", extra.get("sas_token")),
                           ("extra 'connection_string'", extra.get("connection_string"))) if v
        ]  # fmt: skip
        if len(credentials) > 1:
            raise UserErrorException(
                f"datastore '{name}': give one of password (account key), extra 'sas_token' or "
                f"extra 'connection_string' (found {' and '.join(credentials)})"
            )
        if not extra.get("connection_string") and not fields["login"]:
            raise UserErrorException(
                f"datastore '{name}': login (the storage account name) is empty"
            )
        protocol = extra.get("protocol")
        if protocol not in (None, "http", "https"):
            raise UserErrorException(f"datastore '{name}': protocol must be http or https")
        options = {
            "account_name": fields["login"],
            "account_key": fields["password"],
            "sas_token": extra.get("sas_token"),
            "connection_string": extra.get("connection_string"),
            "endpoint": extra.get("endpoint"),
            "protocol": protocol,
            "anonymous": True if not credentials else None,
        }
        return container, options

    @classmethod
    def spark_uri(cls, path: str, options: Mapping[str, Any]) -> str | None:
        """``wasbs://container@account.blob.core.windows.net/...``, the form Spark reads."""
        container, _, rest = path.partition("/")
        return f"wasbs://{container}@{account_name_of(options)}.blob.core.windows.net/{rest}"

    @classmethod
    def filesystem(cls, options: Mapping[str, Any]) -> AbstractFileSystem:
        import logging

        from adlfs import AzureBlobFileSystem

        # The SDK logs every HTTP request and response at INFO: noise in every task log.
        logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(
            logging.WARNING
        )
        cls_fs = AzureBlobFileSystem
        if options.get("anonymous"):
            from mlpipelines.datastore_kinds.public_blob import read_only_blob_filesystem

            cls_fs = read_only_blob_filesystem()
        return cls_fs(
            connection_string=blob_connection_string(options),
            max_concurrency=int(options.get("max_concurrency") or BLOB_MAX_CONCURRENCY),
        )

    @classmethod
    def create_exclusive(cls, fs: AbstractFileSystem, path: str, data: bytes) -> None:
        fs.pipe_file(path, data, overwrite=False)


def blob_connection_string(options: Mapping[str, Any]) -> str:
    """The Azure Storage connection string a blob location's options describe.

    adlfs only honours a custom endpoint (Azurite, sovereign clouds) through a connection
    string, so every credential form is turned into one.
    """
    if options.get("connection_string"):
        return str(options["connection_string"])
    account = options.get("account_name")
    endpoint = options.get("endpoint")
    protocol = options.get("protocol") or "https"
    parts = [f"DefaultEndpointsProtocol={protocol}", f"AccountName={account}"]
    if options.get("account_key"):
        parts.append(f"AccountKey={options['account_key']}")
    if options.get("sas_token"):
        parts.append(f"SharedAccessSignature={str(options['sas_token']).lstrip('?')}")
    if endpoint:
        parts.append(f"BlobEndpoint={endpoint}")
    else:
        parts.append("EndpointSuffix=core.windows.net")
    return ";".join(parts)


def account_name_of(options: Mapping[str, Any]) -> str:
    """The storage account a connection names (its own field, or its connection string's)."""
    if options.get("account_name"):
        return str(options["account_name"])
    for part in str(options.get("connection_string") or "").split(";"):
        key, _, value = part.partition("=")
        if key.strip().lower() == "accountname":
            return value.strip()
    return "unknown-account"
