"""What every datastore kind declares: its Airflow connection, UI form, URIs and filesystem.

A kind is a class, never instantiated: class attributes say what it is, class methods turn a
connection into filesystem options and options into an fsspec filesystem. Nothing here imports
Airflow or a storage SDK; a kind imports its SDK inside ``filesystem`` (DAG files import this).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from mlpipelines.errors import UserErrorException

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

# An Airflow connection's own fields, in the order its UI lists them.
CONNECTION_FIELDS = ("host", "schema", "login", "password", "port")
_CONN_ID = re.compile(r"^[A-Za-z0-9_.-]{1,250}$")


@dataclass(frozen=True)
class FormField:
    """One extra field of a connection form: its label, help text and input widget.

    A field named in the kind's ``secret_fields`` shows as a password box.
    """

    label: str
    description: str
    widget: Literal["text", "boolean"] = "text"


@dataclass(frozen=True)
class ConnectionForm:
    """How the Airflow UI shows a kind's connection: its extra fields, and labels and
    placeholders of the connection's own fields (those the kind does not use are hidden)."""

    fields: Mapping[str, FormField]
    relabeling: Mapping[str, str] = field(default_factory=dict)
    placeholders: Mapping[str, str] = field(default_factory=dict)


PREFIX_FIELD = FormField(
    "Prefix", "Folder inside the container/bucket/share that is the datastore's top"
)


class DatastoreKind:
    """One kind of storage a datastore can be (see ``registry`` for what a kind declares)."""

    name: ClassVar[str]
    """The kind as datastore specs and locations name it, e.g. ``azure_blob``."""
    datastore_type: ClassVar[str]
    """Azure ML's name for it (``Datastore.datastore_type``), e.g. ``AzureBlob``."""
    conn_type: ClassVar[str]
    hook_name: ClassVar[str]
    hook_class_name: ClassVar[str]
    """The hook's class name in ``mlpipelines.hooks.datastore``."""
    default_conn_name: ClassVar[str] = "workspaceblobstore"
    uri_scheme: ClassVar[str]
    connection_settings: ClassVar[Mapping[str, str]] = {}
    """Registration keyword -> the connection field holding it; the fields the kind uses."""
    extra_keys: ClassVar[tuple[str, ...]]
    """Every key the connection's extra may hold, in the order a registration writes them."""
    secret_fields: ClassVar[frozenset[str]] = frozenset()
    """Connection fields and extra keys that hold a secret."""
    secret_options: ClassVar[frozenset[str]] = frozenset()
    """Filesystem options that hold a secret (scrubbed from every message)."""
    form: ClassVar[ConnectionForm]
    is_local: ClassVar[bool] = False
    """Paths on the datastore are paths on this machine."""
    atomic_create: ClassVar[bool] = False
    """A write makes the whole object appear in one request, and an object can be created
    only if absent: files are written in place and JSON documents created exclusively.
    Without it, files go to a hidden name beside the target that ``replace`` renames over it."""
    parallel_copies: ClassVar[bool] = True
    """Several files may be copied to or from it at once."""
    holds_files: ClassVar[bool] = True
    """It stores files (False for SQL databases: their connections belong to their Airflow
    providers, which give the hook and the UI form)."""

    @classmethod
    def used_fields(cls) -> frozenset[str]:
        """The connection's own fields this kind reads; any other must be empty."""
        return frozenset(cls.connection_settings.values())

    @classmethod
    def hidden_fields(cls) -> list[str]:
        """The connection's own fields the UI hides for this kind."""
        used = cls.used_fields()
        return [f for f in CONNECTION_FIELDS if f not in used]

    @classmethod
    def body(cls, name: str, **settings: Any) -> dict[str, Any]:
        """The connection datastore ``name`` is registered as, shaped like
        ``POST /api/v2/connections``; ``settings`` are registration keywords and extra keys."""
        check_conn_id(name)
        known = (*cls.connection_settings, *cls.extra_keys)
        unknown = sorted(k for k in settings if k not in known)
        if unknown:
            raise UserErrorException(
                f"datastore '{name}': {cls.name} datastores take no setting(s) "
                f"{', '.join(unknown)} (known: {', '.join(known)})"
            )
        fields: dict[str, Any] = dict.fromkeys(CONNECTION_FIELDS)
        for keyword, conn_field in cls.connection_settings.items():
            fields[conn_field] = settings.get(keyword)
        extra = {k: settings[k] for k in cls.extra_keys if settings.get(k) is not None}
        return {
            "connection_id": name,
            "conn_type": cls.conn_type,
            "host": fields["host"],
            "login": fields["login"],
            "password": fields["password"],
            "schema": None,
            "port": fields["port"],
            "extra": json.dumps(extra),
        }

    @classmethod
    def top_and_options(
        cls, name: str, fields: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """The datastore's top (folder, container, bucket or ``/share``) and the flat options
        its filesystem is built from, for a connection's checked ``fields`` and ``extra``."""
        raise NotImplementedError(cls.name)

    @classmethod
    def filesystem(cls, options: Mapping[str, Any]) -> AbstractFileSystem:
        """The fsspec filesystem ``options`` describe; the SDK is imported here."""
        raise NotImplementedError(cls.name)

    @classmethod
    def uri(cls, path: str, options: Mapping[str, Any]) -> str:
        """A URI naming the fsspec ``path``; it carries no credentials."""
        return f"{cls.uri_scheme}://{path}"

    @classmethod
    def spark_uri(cls, path: str, options: Mapping[str, Any]) -> str | None:
        """The URI Spark on Databricks reads ``path`` by; None where Spark cannot read it."""
        return cls.uri(path, options)

    @classmethod
    def top(cls, root: str) -> str:
        """The container, bucket or share of a root path (the folder itself when local)."""
        return root.split("/", 1)[0]

    @classmethod
    def probe(cls, options: Mapping[str, Any], top: str) -> None:
        """Check credentials afresh after the top was listed, where a listing may ride on an
        earlier session (nothing to do for most kinds)."""

    @classmethod
    def replace(cls, fs: AbstractFileSystem, source: str, target: str) -> None:
        """Rename ``source`` over ``target`` in one step (kinds without ``atomic_create``)."""
        raise NotImplementedError(f"{cls.name} datastores write in place")

    @classmethod
    def create_exclusive(cls, fs: AbstractFileSystem, path: str, data: bytes) -> None:
        """Write ``data`` at ``path`` only if nothing is there (kinds with ``atomic_create``);
        the store's own error when something is."""
        raise NotImplementedError(f"{cls.name} datastores cannot create exclusively")


def check_conn_id(name: str) -> None:
    """Refuse a datastore name that cannot be an Airflow conn_id."""
    if not _CONN_ID.match(name):
        raise UserErrorException(
            f"datastore name '{name}' cannot be a conn_id (letters, digits, '_', '.', '-')"
        )


def required_extra(name: str, extra: Mapping[str, Any], key: str, what: str) -> str:
    """The non-empty string extra ``key`` of datastore ``name``'s connection."""
    value = extra.get(key)
    if not value or not isinstance(value, str):
        raise UserErrorException(f"datastore '{name}': {what} is required")
    return value
