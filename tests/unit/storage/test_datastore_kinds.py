"""The datastore-kind registry: every kind round-trips, declares a consistent form, and an
unknown kind is refused by name."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from mlpipelines.datastore_kinds import (
    FILE_KINDS,
    KINDS,
    DatastoreKind,
    UnknownDatastoreKind,
    conn_types,
    datastore_kind,
    kind_names,
    kind_of_conn_type,
)
from mlpipelines.datastore_kinds.base import CONNECTION_FIELDS
from mlpipelines.errors import UserErrorException
from mlpipelines.hooks.connection_forms import connection_types
from mlpipelines.model.datastore import Datastore
from mlpipelines.model.datastore_types import (
    AbstractDatastore,
    AzureBlobDatastore,
    AzureDataLakeGen2Datastore,
    AzureFileDatastore,
    AzureMySqlDatastore,
    AzurePostgreSqlDatastore,
    AzureSqlDatabaseDatastore,
    DBFSDatastore,
)
from mlpipelines.model.workspace import Workspace
from mlpipelines.storage import StoreLocation, open_datastore
from mlpipelines.storage.connections import location_from_connection
from mlpipelines.storage.registration import (
    environment_name,
    environment_value,
    registration_body,
)

KEY = "c2VjcmV0LWFjY291bnQta2V5LXZhbHVl=="

# One registration per kind that sets as many of its fields and extra keys as can go together.
# A new kind must add its own: the first test fails until it does.
SETTINGS: dict[str, dict[str, Any]] = {
    "local": {"path": "/srv/datastores/round-trip"},
    "azure_blob": {
        "container": "data",
        "account_name": "acct",
        "account_key": KEY,
        "prefix": "runs/a",
        "endpoint": "http://127.0.0.1:10000/acct",
        "protocol": "http",
    },
    "azure_file": {
        "share": "data",
        "account_name": "acct",
        "account_key": KEY,
        "host": "files.example.test",
        "port": 4450,
        "prefix": "p",
        "encrypt": True,
    },
    "s3": {
        "bucket": "bkt",
        "access_key_id": "AKIA1",
        "secret_access_key": "s3-secret",
        "endpoint_url": "http://127.0.0.1:9",
        "region_name": "eu-west-1",
        "prefix": "runs",
    },
    "azure_data_lake_gen2": {"filesystem": "lake", "account_name": "acct", "tenant_id": "t-1",
                             "client_id": "c-1", "client_secret": "sp-secret", "prefix": "raw",
                             "endpoint": "core.chinacloudapi.cn", "protocol": "https"},
    "dbfs": {"prefix": "raw"},
    "postgres": {"host": "db.example.test", "database": "sales", "user_id": "reader",
                 "user_password": "pg-secret", "port": 5432},
    "mysql": {"host": "my.example.test", "database": "sales", "user_id": "reader",
              "user_password": "my-secret", "port": 3306},
    "sqlserver": {"host": "sql.example.test", "database": "sales", "user_id": "reader",
                  "user_password": "ms-secret", "port": 1433},
}  # fmt: skip


def test_every_registered_kind_has_a_round_trip_example():
    assert set(SETTINGS) == set(kind_names())


@pytest.mark.parametrize("kind", FILE_KINDS, ids=lambda k: k.name)
def test_a_registration_body_round_trips_through_an_airflow_connection(kind, monkeypatch):
    name = f"rt_{kind.name}"
    body = registration_body(kind.name, name, **SETTINGS[kind.name])
    assert body["conn_type"] == kind.conn_type
    assert set(json.loads(body["extra"])) <= set(kind.extra_keys)

    monkeypatch.setenv(environment_name(name), environment_value(body))
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(name)
    assert conn.conn_type == body["conn_type"]
    for field in ("host", "login", "password", "port"):
        assert getattr(conn, field) == body[field], field
    assert conn.extra_dejson == json.loads(body["extra"])

    from_body = location_from_connection(name, SimpleNamespace(**body))
    from_airflow = open_datastore(name, Workspace())
    assert from_airflow == from_body
    assert from_airflow.kind == kind.name
    assert from_airflow.datastore_kind is kind


OLD_DATASTORE_CLASSES = [
    AzureBlobDatastore,
    AzureFileDatastore,
    AzureDataLakeGen2Datastore,
    AzureSqlDatabaseDatastore,
    AzurePostgreSqlDatastore,
    AzureMySqlDatastore,
    DBFSDatastore,
]


@pytest.mark.parametrize("kind", [k for k in KINDS if not k.is_local], ids=lambda k: k.name)
def test_datastore_register_methods_record_the_kind(kind):
    def sql(method: str) -> Any:
        return lambda ws, s: getattr(Datastore, method)(
            ws, "store", s["host"], s["database"], s["user_id"], s["user_password"]
        )

    register = {
        "azure_blob": lambda ws, s: Datastore.register_azure_blob_container(
            ws, "store", s["container"], account_name=s["account_name"], account_key=KEY,
            skip_validation=True,
        ),
        "azure_file": lambda ws, s: Datastore.register_azure_file_share(
            ws, "store", s["share"], s["account_name"], account_key=KEY, skip_validation=True
        ),
        "s3": lambda ws, s: Datastore.register_s3_bucket(ws, "store", s["bucket"],
                                                         skip_validation=True),
        "azure_data_lake_gen2": lambda ws, s: Datastore.register_azure_data_lake_gen2(
            ws, "store", s["filesystem"], s["account_name"], s["tenant_id"], s["client_id"],
            s["client_secret"], skip_validation=True),
        "dbfs": lambda ws, s: Datastore.register_dbfs(ws, "store"),
        "postgres": sql("register_azure_postgre_sql"),
        "mysql": sql("register_azure_my_sql"),
        "sqlserver": lambda ws, s: Datastore.register_azure_sql_database(
            ws, "store", s["host"], s["database"], username=s["user_id"],
            password=s["user_password"]),
    }  # fmt: skip
    ws = Workspace()
    store = register[kind.name](ws, SETTINGS[kind.name])
    assert (store.spec.kind, store.datastore_type) == (kind.name, kind.datastore_type)
    # The old SDK's per-kind classes (type hints, isinstance checks) see the kind.
    matching = [cls for cls in OLD_DATASTORE_CLASSES if isinstance(store, cls)]
    expected = [cls for cls in OLD_DATASTORE_CLASSES if kind.datastore_type in cls.datastore_types]
    assert matching == expected and isinstance(store, AbstractDatastore)
    assert ws.registered_connections["store"]["conn_type"] == kind.conn_type


def test_unknown_kinds_and_connection_types_are_refused_by_name():
    with pytest.raises(UnknownDatastoreKind, match=r"unknown datastore kind 'hdfs' \(known: "):
        datastore_kind("hdfs")
    with pytest.raises(UserErrorException, match="'http' is not a datastore type"):
        kind_of_conn_type("http")
    with pytest.raises(UserErrorException, match="unknown datastore kind 'sql'"):
        registration_body("sql", "warehouse", database="db")
    with pytest.raises(UserErrorException, match="datastore 'x': unknown datastore kind 'ftp'"):
        StoreLocation(datastore="x", kind="ftp", root="r")
    with pytest.raises(UnknownDatastoreKind) as err:
        datastore_kind("gcs")
    assert all(name in str(err.value) for name in kind_names())


def test_a_setting_the_kind_does_not_take_is_refused_naming_the_kind():
    with pytest.raises(UserErrorException, match=r"s3 datastores take no setting\(s\) container"):
        registration_body("s3", "s3store", bucket="b", container="c")


def test_lookups_by_name_and_connection_type_agree():
    assert kind_names() == tuple(k.name for k in KINDS)
    assert conn_types() == tuple(k.conn_type for k in KINDS)
    for kind in KINDS:
        assert issubclass(kind, DatastoreKind)
        assert datastore_kind(kind.name) is kind
        assert kind_of_conn_type(kind.conn_type) is kind
        assert kind_of_conn_type(kind.conn_type.replace("_", "-")) is kind


@pytest.mark.parametrize("kind", FILE_KINDS, ids=lambda k: k.name)
def test_each_kinds_form_matches_its_connection(kind):
    assert set(kind.form.fields) == set(kind.extra_keys)
    used = kind.used_fields()
    assert used <= set(CONNECTION_FIELDS)
    assert kind.secret_fields <= set(kind.extra_keys) | used
    assert set(kind.form.relabeling) <= used
    assert set(kind.form.placeholders) <= used | {"extra"}
    assert set(kind.hidden_fields()) == set(CONNECTION_FIELDS) - used
    entry = next(e for e in connection_types() if e["connection-type"] == kind.conn_type)
    assert list(entry["conn-fields"]) == list(kind.extra_keys)
    for key, field in entry["conn-fields"].items():
        is_password = field["schema"].get("format") == "password"
        assert is_password == (key in kind.secret_fields), key


@pytest.mark.parametrize("kind", FILE_KINDS, ids=lambda k: k.name)
def test_each_kind_has_a_hook_named_as_it_declares(kind):
    from mlpipelines.hooks import datastore as hooks

    hook = getattr(hooks, kind.hook_class_name)
    assert issubclass(hook, hooks.DatastoreHook)
    assert (hook.conn_type, hook.hook_name) == (kind.conn_type, kind.hook_name)
    assert hook.default_conn_name == kind.default_conn_name
    assert hook.__module__ == "mlpipelines.hooks.datastore"


@pytest.mark.parametrize("kind", FILE_KINDS, ids=lambda k: k.name)
def test_each_kind_implements_what_its_capabilities_need(kind):
    def overrides(method: str) -> bool:
        return getattr(kind, method).__func__ is not getattr(DatastoreKind, method).__func__

    assert overrides("top_and_options") and overrides("filesystem")
    if kind.atomic_create:
        assert overrides("create_exclusive")
    else:
        assert overrides("replace")


def test_importing_the_kinds_and_the_provider_info_loads_no_sdk_nor_airflow():
    code = (
        "import sys\n"
        "import mlpipelines.datastore_kinds as kinds\n"
        "from mlpipelines.provider_info import get_provider_info\n"
        "get_provider_info()\n"
        "[k.body('n') for k in kinds.KINDS if k.name == 'local']\n"
        "bad = [m for m in ('adlfs', 's3fs', 'smbclient', 'smbprotocol', 'azure.storage.blob',"
        " 'botocore', 'airflow') if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
