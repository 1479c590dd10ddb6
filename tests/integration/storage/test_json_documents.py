"""Small JSON documents on a local folder, Azurite and moto's S3: exclusive creation has one
winner, replacement is whole, a stale document can be taken over, and SMB is refused."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from mlpipelines.errors import UserErrorException
from mlpipelines.storage.json_documents import JsonDocuments
from mlpipelines.storage.location import StoreLocation

pytestmark = pytest.mark.integration


@pytest.fixture(params=["local", "azure_blob", "s3"])
def documents(request, tmp_path) -> JsonDocuments:
    if request.param == "local":
        location = StoreLocation.local(tmp_path / "docs", "docs")
    else:
        fixture = {"azure_blob": "azurite", "s3": "moto_s3"}[request.param]
        location = request.getfixturevalue(fixture).location("docs")
    return JsonDocuments(location, ".mlpipelines")


def test_create_read_replace_take_over_delete(documents):
    with pytest.raises(FileNotFoundError):
        documents.read("reuse/k.inprogress")
    assert documents.create("reuse/k.inprogress", {"run": 1})
    assert not documents.create("reuse/k.inprogress", {"run": 2}), "exists: second create loses"
    assert documents.read("reuse/k.inprogress") == {"run": 1}
    documents.write("reuse/k.inprogress", {"run": 1, "beat": 2})
    assert documents.read("reuse/k.inprogress") == {"run": 1, "beat": 2}
    documents.take_over("reuse/k.inprogress")
    assert not documents.exists("reuse/k.inprogress")
    assert documents.create("reuse/k.inprogress", {"run": 3})
    documents.delete("reuse/k.inprogress")
    documents.delete("reuse/k.inprogress")  # already gone: no error
    with pytest.raises(FileNotFoundError):
        documents.read("reuse/k.inprogress")


def test_racing_creators_get_one_winner(documents):
    for round_number in range(5):
        name = f"reuse/race-{round_number}.inprogress"
        with ThreadPoolExecutor(6) as pool:
            won = list(pool.map(lambda n, p=name: documents.create(p, {"n": n}), range(6)))
        assert sum(won) == 1, won
        assert documents.read(name)["n"] == won.index(True)


def test_a_damaged_document_reads_as_value_error(documents):
    documents.location.fs.pipe_file(documents.path("reuse/bad.json"), b"{ not json")
    with pytest.raises(ValueError):
        documents.read("reuse/bad.json")


def test_smb_shares_are_refused_naming_the_store(samba):
    with pytest.raises(
        UserErrorException, match="datastore 'share' is of kind azure_file; the reuse cache"
    ):
        JsonDocuments(samba.location("share"), ".mlpipelines")


def test_read_all_gives_each_document_or_none_in_order(documents):
    documents.write("batches/a.json", {"key": "a"}, compact=True)
    documents.write("batches/c.json", {"key": "c"}, compact=True)
    names = ["c.json", "b.json", "a.json"]
    assert documents.read_all("batches", names) == [{"key": "c"}, None, {"key": "a"}]
    assert documents.exist_all("batches", names) == [True, False, True]
    with pytest.raises(ValueError, match="plain file names"):
        documents.read_all("batches", ["../a.json"])
