"""Airflow connections <-> datastore locations: strict parsing, registration bodies, secrets."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from mlpipelines.datastore_kinds import FILE_KINDS
from mlpipelines.errors import UserErrorException
from mlpipelines.hooks.connection_forms import ui_field_behaviour
from mlpipelines.provider_info import get_provider_info
from mlpipelines.storage import StoreLocation
from mlpipelines.storage.connections import location_from_connection
from mlpipelines.storage.registration import environment_value, registration_body

KEY = "c2VjcmV0LWFjY291bnQta2V5LXZhbHVl=="
SECRET = "s3-secret-Value/With+Chars"


def conn(**fields: object) -> SimpleNamespace:
    base = {"host": None, "login": None, "password": None, "schema": None, "port": None}
    return SimpleNamespace(**{**base, **fields})


def parse(body: dict) -> StoreLocation:
    return location_from_connection(body["connection_id"], SimpleNamespace(**body))


def test_bodies_have_the_rest_api_shape_and_parse_back(tmp_path):
    bodies = [
        registration_body("local", "loc", path=str(tmp_path)),
        registration_body(
            "azure_blob", "blob", container="data", account_name="acct", account_key=KEY
        ),
        registration_body(
            "azure_file", "files", share="data", account_name="acct", account_key=KEY
        ),
        registration_body(
            "s3", "s3", bucket="bkt", access_key_id="AKIA1", secret_access_key=SECRET
        ),
    ]
    for body in bodies:
        assert set(body) == {
            "connection_id", "conn_type", "host", "login", "password", "schema", "port", "extra",
        }  # fmt: skip
        assert isinstance(body["extra"], str)
        json.loads(body["extra"])
    kinds = [parse(b).kind for b in bodies]
    assert kinds == ["local", "azure_blob", "azure_file", "s3"]


def test_each_kind_maps_fields_to_root_and_options(tmp_path):
    blob = parse(
        registration_body(
            "azure_blob", "blob", container="data", account_name="acct", account_key=KEY,
            prefix="a/b", endpoint="http://127.0.0.1:1/acct", protocol="http",
        )
    )  # fmt: skip
    assert (blob.root, blob.uri("x.csv")) == ("data/a/b", "az://data/a/b/x.csv")
    files = parse(
        registration_body("azure_file", "files", share="data", account_name="acct", account_key=KEY)
    )
    assert files.root == "/data"
    assert dict(files.options)["host"] == "acct.file.core.windows.net"
    assert dict(files.options)["port"] == 445
    assert files.uri("d/f") == "smb://acct.file.core.windows.net:445/data/d/f"
    s3 = parse(registration_body("s3", "s3", bucket="bkt", region_name="eu-west-1", prefix="p"))
    assert (s3.root, s3.uri()) == ("bkt/p", "s3://bkt/p")
    assert "key" not in dict(s3.options)
    local = parse(registration_body("local", "loc", path=str(tmp_path)))
    assert local.is_local and local.root == str(tmp_path.resolve())


@pytest.mark.parametrize(
    ("connection", "message"),
    [
        (conn(conn_type="http"), "not a datastore type"),
        (conn(conn_type="mlpipelines_s3", extra="{}"), "extra 'bucket' is required"),
        (conn(conn_type="mlpipelines_s3", extra='{"bucket": "b", "regoin": "x"}'), "regoin"),
        (conn(conn_type="mlpipelines_s3", host="h", extra='{"bucket": "b"}'), "host"),
        (conn(conn_type="mlpipelines_s3", login="k", extra='{"bucket": "b"}'), "both login"),
        (conn(conn_type="mlpipelines_local", extra='{"path": "rel/dir"}'), "absolute"),
        (conn(conn_type="mlpipelines_local", extra="not json"), "not JSON"),
        (conn(conn_type="mlpipelines_azure_blob", extra='{"container": "ccc"}'),
         "storage account name"),
        (conn(conn_type="mlpipelines_azure_blob", login="a", password=KEY,
              extra=json.dumps({"container": "ccc", "sas_token": "sv=1&sig=abc"})), "give one of"),
        (conn(conn_type="mlpipelines_azure_blob", login="a", password=KEY,
              extra='{"container": "Bad_Name"}'), "not a valid name"),
        (conn(conn_type="mlpipelines_azure_file", login="a", extra='{"share": "s"}'),
         "are required"),
        (conn(conn_type="mlpipelines_s3", extra='{"bucket": "b", "prefix": "../up"}'), ".."),
    ],
)  # fmt: skip
def test_bad_connections_are_refused_naming_the_datastore(connection, message):
    with pytest.raises(UserErrorException) as err:
        location_from_connection("mystore", connection)
    assert "mystore" in str(err.value)
    assert message in str(err.value)


def test_ui_style_prefixed_and_blank_extra_keys_are_accepted():
    extra = {"extra__mlpipelines_s3__bucket": "bkt", "endpoint_url": "", "region_name": None}
    loc = location_from_connection("s3", conn(conn_type="mlpipelines-s3", extra=extra))
    assert loc.root == "bkt"
    assert "endpoint_url" not in dict(loc.options)


def test_secrets_stay_out_of_repr_str_and_messages():
    loc = parse(
        registration_body(
            "azure_blob", "blob", container="data", account_name="acct", account_key=KEY,
            endpoint="http://127.0.0.1:1/acct", protocol="http",
        )
    )  # fmt: skip
    s3 = parse(
        registration_body("s3", "s3", bucket="bkt", access_key_id="AKIA1", secret_access_key=SECRET)
    )
    for location, secret in ((loc, KEY), (s3, SECRET)):
        assert secret not in repr(location)
        assert secret not in str(location)
        failure = location.error("failed", RuntimeError(f"server said {secret} is wrong"), "x")
        assert secret not in str(failure)
        assert location.datastore in str(failure)
    text = "url?sv=2024&sig=abcDEF%2B&se=1 AccountKey=xyz;SharedAccessSignature=qq"
    scrubbed = s3.scrub(text)
    assert "abcDEF" not in scrubbed and "xyz" not in scrubbed and "qq" not in scrubbed


def test_environment_value_is_what_airflow_reads():
    body = registration_body(
        "s3", "s3", bucket="bkt", access_key_id="AKIA1", secret_access_key=SECRET
    )
    value = json.loads(environment_value(body))
    assert value["conn_type"] == "mlpipelines_s3"
    assert value["extra"] == {"bucket": "bkt"}
    assert parse({**body, "extra": json.dumps(value["extra"])}).root == "bkt"


def test_bad_registration_fails_before_it_is_sent():
    with pytest.raises(UserErrorException, match="give one of"):
        registration_body("azure_blob", "blob", container="data", account_name="acct",
                          account_key=KEY, sas_token="sv=1&sig=abc")  # fmt: skip
    with pytest.raises(UserErrorException, match="conn_id"):
        registration_body("local", "bad name!", path="/tmp")


def test_dotdot_is_refused_in_every_relative_path(tmp_path):
    loc = StoreLocation.local(tmp_path, "loc")
    with pytest.raises(UserErrorException, match="leaves the datastore"):
        loc.path("a/../../etc")
    with pytest.raises(UserErrorException):
        loc.uri("../x")


def test_importing_storage_and_building_locations_loads_no_sdk_nor_airflow():
    code = (
        "import sys\n"
        "from types import SimpleNamespace\n"
        "from mlpipelines.storage import StoreLocation, open_datastore\n"
        "from mlpipelines.storage import transfer, fingerprint, registration\n"
        "body = registration.registration_body('s3', 's', bucket='b', access_key_id='k', "
        "secret_access_key='sssss', endpoint_url='http://127.0.0.1:9')\n"
        "loc = registration.location_from_connection('s', SimpleNamespace(**body))\n"
        "loc.path('x'); loc.uri('x'); repr(loc)\n"
        "bad = [m for m in ('adlfs', 's3fs', 'smbclient', 'smbprotocol', 'azure.storage.blob',"
        " 'botocore', 'airflow') if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_provider_info_declares_the_file_datastore_connection_types():
    info = get_provider_info()
    types = {c["connection-type"]: c["hook-class-name"] for c in info["connection-types"]}
    assert types == {
        k.conn_type: f"mlpipelines.hooks.datastore.{k.hook_class_name}" for k in FILE_KINDS
    }
    assert info["hooks"][0]["python-modules"] == ["mlpipelines.hooks.datastore"]
    assert "password" in ui_field_behaviour("mlpipelines_local")["hidden_fields"]
