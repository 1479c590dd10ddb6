"""Blob containers as the AML samples register them, on Azurite: a public container without
a key (read anonymously, writes refused clearly) and ``create_if_not_exists=True``."""

from __future__ import annotations

import pytest
from azure.storage.blob import BlobServiceClient

from mlpipelines.azureml.core import Datastore, Workspace
from support.storage_fixtures import unique
from support.storage_servers import AZURITE_ACCOUNT, AZURITE_KEY

pytestmark = pytest.mark.integration


@pytest.fixture
def public_container(azurite):
    name = unique("pub")
    client = BlobServiceClient.from_connection_string(azurite.server.connection_string)
    container = client.create_container(name, public_access="container")
    container.upload_blob("iris/iris.csv", b"sepal,species\n5.1,setosa\n7.0,versicolor\n")
    return name


def test_a_public_container_without_a_key_reads_anonymously_and_refuses_writes(
    azurite, public_container, tmp_path
):
    ws = Workspace(home=str(tmp_path / "home"))
    store = Datastore.register_azure_blob_container(
        ws, "public_iris", container_name=public_container, account_name=AZURITE_ACCOUNT,
        endpoint=azurite.server.endpoint, protocol="http",
    )  # fmt: skip
    body = ws.registered_connections["public_iris"]
    assert body["password"] is None and "sas_token" not in body["extra"]

    location = store.location
    assert location.fs.cat_file(location.path("iris/iris.csv")).endswith(b"versicolor\n")
    assert store.download(str(tmp_path / "down"), prefix="iris", show_progress=False) == 1
    assert (tmp_path / "down" / "iris" / "iris.csv").read_bytes().startswith(b"sepal")

    (tmp_path / "new.csv").write_text("a\n1\n")
    with pytest.raises(Exception, match="datastore 'public_iris'") as info:
        store.upload_files([str(tmp_path / "new.csv")], target_path="up", show_progress=False)
    assert "registered without account_key or sas_token" in str(info.value)
    assert "account_key= or sas_token= to write" in str(info.value)


def test_create_if_not_exists_creates_the_container_once(azurite, tmp_path):
    ws = Workspace(home=str(tmp_path / "home"))
    name = unique("made")
    client = BlobServiceClient.from_connection_string(azurite.server.connection_string)
    assert not client.get_container_client(name).exists()
    for _ in range(2):  # a re-run notebook registers again: no error, same container
        store = Datastore.register_azure_blob_container(
            ws, "made_here", container_name=name, account_name=AZURITE_ACCOUNT,
            account_key=AZURITE_KEY, endpoint=azurite.server.endpoint, protocol="http",
            create_if_not_exists=True, overwrite=True,
        )  # fmt: skip
    assert client.get_container_client(name).exists()
    (tmp_path / "a.txt").write_text("x")
    store.upload_files([str(tmp_path / "a.txt")], show_progress=False)
    assert [b.name for b in client.get_container_client(name).list_blobs()] == ["a.txt"]
    with pytest.raises(Exception, match=r"datastore 'missing_here'.*cannot be listed"):
        Datastore.register_azure_blob_container(
            ws, "missing_here", container_name=unique("gone"), account_name=AZURITE_ACCOUNT,
            account_key=AZURITE_KEY, endpoint=azurite.server.endpoint, protocol="http",
        )  # fmt: skip
