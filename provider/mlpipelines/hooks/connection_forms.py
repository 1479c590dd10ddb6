"""How the Airflow UI shows each datastore connection type: labels, hidden fields, extra fields.

Plain data, no Airflow import: the provider info hands it to Airflow's providers manager
(``conn-fields`` and ``ui-field-behaviour``, read without importing the hooks), and the hooks'
``get_ui_field_behaviour`` return the same.
"""

from __future__ import annotations

from typing import Any

_TEXT = {"type": ["string", "null"]}
_SECRET = {"type": ["string", "null"], "format": "password"}


def _field(label: str, description: str, schema: dict[str, Any] = _TEXT) -> dict[str, Any]:
    return {"label": label, "schema": dict(schema), "description": description}


_PREFIX = _field("Prefix", "Folder inside the container/bucket/share that is the datastore's top")

FORMS: dict[str, dict[str, Any]] = {
    "mlpipelines_local": {
        "hook-class-name": "mlpipelines.hooks.datastore.LocalFolderDatastoreHook",
        "hook-name": "ML pipelines datastore: local folder",
        "conn-fields": {
            "path": _field("Folder", "Absolute folder path, the same on every worker"),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["host", "schema", "login", "password", "port"],
            "relabeling": {},
            "placeholders": {"extra": '{"path": "/data/datastores/mystore"}'},
        },
    },
    "mlpipelines_azure_blob": {
        "hook-class-name": "mlpipelines.hooks.datastore.AzureBlobDatastoreHook",
        "hook-name": "ML pipelines datastore: Azure Blob container",
        "conn-fields": {
            "container": _field("Container", "Blob container name"),
            "prefix": _PREFIX,
            "sas_token": _field("SAS token", "Instead of the account key", _SECRET),
            "connection_string": _field(
                "Connection string", "Instead of account name and key", _SECRET
            ),
            "endpoint": _field(
                "Blob endpoint", "Only for emulators or sovereign clouds, e.g. Azurite's URL"
            ),
            "protocol": _field("Protocol", "https (default) or http"),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["host", "schema", "port"],
            "relabeling": {"login": "Storage account name", "password": "Account key"},
            "placeholders": {"login": "mystorageaccount", "extra": '{"container": "data"}'},
        },
    },
    "mlpipelines_azure_file": {
        "hook-class-name": "mlpipelines.hooks.datastore.AzureFileDatastoreHook",
        "hook-name": "ML pipelines datastore: Azure Files share (SMB)",
        "conn-fields": {
            "share": _field("Share", "File share name"),
            "prefix": _PREFIX,
            "encrypt": _field("Encrypt", "Require SMB 3 encryption", {"type": ["boolean", "null"]}),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["schema"],
            "relabeling": {
                "host": "SMB host",
                "login": "Storage account name",
                "password": "Account key",
            },
            "placeholders": {
                "host": "<account>.file.core.windows.net (default)",
                "port": "445",
                "extra": '{"share": "data"}',
            },
        },
    },
    "mlpipelines_s3": {
        "hook-class-name": "mlpipelines.hooks.datastore.S3DatastoreHook",
        "hook-name": "ML pipelines datastore: S3 bucket",
        "conn-fields": {
            "bucket": _field("Bucket", "Bucket name"),
            "prefix": _PREFIX,
            "endpoint_url": _field("Endpoint URL", "Only for S3-compatible servers"),
            "region_name": _field("Region", "e.g. eu-west-1"),
        },
        "ui-field-behaviour": {
            "hidden-fields": ["host", "schema", "port"],
            "relabeling": {"login": "Access key id", "password": "Secret access key"},
            "placeholders": {"extra": '{"bucket": "data", "region_name": "eu-west-1"}'},
        },
    },
}


def connection_types() -> list[dict[str, Any]]:
    """The provider info's ``connection-types`` entries."""
    return [{"connection-type": conn_type, **form} for conn_type, form in FORMS.items()]


def ui_field_behaviour(conn_type: str) -> dict[str, Any]:
    """A hook's ``get_ui_field_behaviour()`` answer for ``conn_type``."""
    behaviour = FORMS[conn_type]["ui-field-behaviour"]
    return {
        "hidden_fields": list(behaviour["hidden-fields"]),
        "relabeling": dict(behaviour["relabeling"]),
        "placeholders": dict(behaviour["placeholders"]),
    }
