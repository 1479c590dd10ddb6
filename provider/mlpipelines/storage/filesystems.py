"""The fsspec filesystem of each datastore kind, built from a location's flat options.

Every SDK (adlfs, s3fs, smbprotocol) is imported here, inside the builder, so importing
mlpipelines never pulls them in and nothing connects until a location's ``fs`` is used.
"""

from __future__ import annotations

from typing import Any

from fsspec import AbstractFileSystem

BLOB_MAX_CONCURRENCY = 4
S3_BLOCK_SIZE = 8 * 1024 * 1024


def build_filesystem(kind: str, options: dict[str, Any]) -> AbstractFileSystem:
    """The filesystem for ``kind`` configured by ``options``."""
    builder = {
        "local": _local,
        "azure_blob": _azure_blob,
        "azure_file": _azure_file,
        "s3": _s3,
    }[kind]
    return builder(options)


def blob_connection_string(options: dict[str, Any]) -> str:
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


def probe_smb(options: dict[str, Any], share_path: str) -> None:
    """Log on to the SMB server afresh and list ``share_path``.

    smbclient pools one session per user and server for the whole process, so a wrong password
    would ride on an earlier good session; a private cache makes the server check this one.
    """
    import smbclient
    from fsspec.implementations.smb import _as_unc_path

    cache: dict[str, Any] = {}
    host, port = options["host"], int(options.get("port") or 445)
    try:
        smbclient.register_session(
            host,
            username=options.get("username"),
            password=options.get("password"),
            port=port,
            encrypt=options.get("encrypt"),
            connection_cache=cache,
        )
        smbclient.listdir(_as_unc_path(host, share_path), port=port, connection_cache=cache)
    finally:
        smbclient.reset_connection_cache(connection_cache=cache)


def _local(options: dict[str, Any]) -> AbstractFileSystem:
    from fsspec.implementations.local import LocalFileSystem

    return LocalFileSystem(auto_mkdir=True)


def _azure_blob(options: dict[str, Any]) -> AbstractFileSystem:
    import logging

    from adlfs import AzureBlobFileSystem

    # The SDK logs every HTTP request and response at INFO: noise in every task log.
    logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)

    return AzureBlobFileSystem(
        connection_string=blob_connection_string(options),
        max_concurrency=int(options.get("max_concurrency") or BLOB_MAX_CONCURRENCY),
    )


def _azure_file(options: dict[str, Any]) -> AbstractFileSystem:
    from fsspec.implementations.smb import SMBFileSystem

    return SMBFileSystem(
        host=options["host"],
        port=int(options.get("port") or 445),
        username=options.get("username"),
        password=options.get("password"),
        encrypt=options.get("encrypt"),
        register_session_retries=int(options.get("connect_retries", 1)),
        register_session_retry_wait=1,
        auto_mkdir=True,
    )


def _s3(options: dict[str, Any]) -> AbstractFileSystem:
    from s3fs import S3FileSystem

    client_kwargs = {"region_name": options["region_name"]} if options.get("region_name") else {}
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
