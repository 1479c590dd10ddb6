"""An S3 bucket (or an S3-compatible server), as a datastore kind (s3fs, imported late)."""

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

S3_BLOCK_SIZE = 8 * 1024 * 1024


class S3Kind(DatastoreKind):
    """An S3 bucket (or an S3-compatible server through ``endpoint_url``)."""

    name = "s3"
    datastore_type = "S3"
    conn_type = "mlpipelines_s3"
    hook_name = "ML pipelines datastore: S3 bucket"
    hook_class_name = "S3DatastoreHook"
    default_conn_name = "s3datastore"
    uri_scheme = "s3"
    connection_settings = {"access_key_id": "login", "secret_access_key": "password"}
    extra_keys = ("bucket", "prefix", "endpoint_url", "region_name")
    secret_fields = frozenset({"password"})
    secret_options = frozenset({"secret"})
    form = ConnectionForm(
        fields={
            "bucket": FormField("Bucket", "Bucket name"),
            "prefix": PREFIX_FIELD,
            "endpoint_url": FormField("Endpoint URL", "Only for S3-compatible servers"),
            "region_name": FormField("Region", "e.g. eu-west-1"),
        },
        relabeling={"login": "Access key id", "password": "Secret access key"},
        placeholders={"extra": '{"bucket": "data", "region_name": "eu-west-1"}'},
    )
    atomic_create = True  # a single PUT, or a multipart upload that appears when completed

    @classmethod
    def top_and_options(
        cls, name: str, fields: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        bucket = required_extra(name, extra, "bucket", "extra 'bucket'")
        if bool(fields["login"]) != bool(fields["password"]):
            raise UserErrorException(
                f"datastore '{name}': give both login (access key id) and password (secret "
                "access key), or neither to use the machine's AWS credentials"
            )
        options = {
            "key": fields["login"],
            "secret": fields["password"],
            "endpoint_url": extra.get("endpoint_url"),
            "region_name": extra.get("region_name"),
        }
        return bucket.strip("/"), options

    @classmethod
    def filesystem(cls, options: Mapping[str, Any]) -> AbstractFileSystem:
        from s3fs import S3FileSystem

        client_kwargs = (
            {"region_name": options["region_name"]} if options.get("region_name") else {}
        )
        config_kwargs: dict[str, Any] = {}
        if options.get("max_attempts"):
            attempts = int(options["max_attempts"])
            config_kwargs["retries"] = {"max_attempts": attempts, "mode": "standard"}
        fs = S3FileSystem(
            key=options.get("key"),
            secret=options.get("secret"),
            anon=False,
            endpoint_url=options.get("endpoint_url"),
            client_kwargs=client_kwargs,
            config_kwargs=config_kwargs,
            default_block_size=S3_BLOCK_SIZE,
        )
        if options.get("retries") is not None:
            fs.retries = int(options["retries"])  # s3fs's own retry loop, on top of botocore's
        return fs

    @classmethod
    def create_exclusive(cls, fs: AbstractFileSystem, path: str, data: bytes) -> None:
        fs.pipe_file(path, data, mode="create")
