"""The snapshot upload routes on the plugin's real app (mounted at /mlpipelines as Airflow
mounts it), driven by raw requests and by the client: what is missing, chunks, resumes,
refusals, limits, commits. Auth is overridden with a fixed user; the e2e test logs in."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
from airflow.api_fastapi.core_api.security import get_user
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mlpipelines.client.airflow_api import AirflowApi
from mlpipelines.client.snapshot_upload import SNAPSHOT_API, upload_snapshot
from mlpipelines.errors import UserErrorException
from mlpipelines.plugin.rest_app import app
from mlpipelines.records import SourceRef
from mlpipelines.snapshot import file_digest, files_digest, take_snapshot
from mlpipelines.storage.datastores import source_folder
from mlpipelines.storage.registration import environment_name, environment_value

MIB = 1 << 20


class Flaky:
    """ASGI wrapper that loses answers: each ``(method, path fragment, count)`` rule makes
    the next ``count`` matching requests run and then answer 503 (the answer lost)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.rules: list[list] = []
        self.seen: list[tuple[str, str]] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.inner(scope, receive, send)
        self.seen.append((scope["method"], scope["path"]))
        rule = next(
            (
                r
                for r in self.rules
                if r[2] > 0 and r[0] == scope["method"] and r[1] in scope["path"]
            ),
            None,
        )
        if rule is None:
            return await self.inner(scope, receive, send)
        rule[2] -= 1

        async def swallow(message):
            pass

        await self.inner(scope, receive, swallow)
        await send({"type": "http.response.start", "status": 503, "headers": []})
        await send({"type": "http.response.body", "body": b"lost"})


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "airflow-home"
    monkeypatch.setenv("AIRFLOW_HOME", str(folder))
    monkeypatch.delenv("MLPIPELINES_DEFAULT_DATASTORE", raising=False)
    return folder


@pytest.fixture
def server(home):
    parent = FastAPI()
    parent.mount("/mlpipelines", app)
    flaky = Flaky(parent)
    app.dependency_overrides[get_user] = lambda: SimpleAuthManagerUser(
        username="tester", role="admin"
    )
    try:
        yield flaky
    finally:
        app.dependency_overrides.clear()


@pytest.fixture
def http(server) -> TestClient:
    return TestClient(server, base_url="http://testserver")


def _api(server, attempts: int = 1) -> AirflowApi:
    api = AirflowApi("http://testserver", token="unused", attempts=attempts, backoff=0.01)
    api._http = TestClient(server, base_url="http://testserver")
    return api


def _source(folder: Path, **files: bytes) -> Path:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def _blobs(home: Path) -> list[Path]:
    root = home / "mlpipelines" / "workspaceblobstore" / ".mlpipelines" / "blobs"
    return sorted(p for p in root.rglob("*") if p.is_file())


def _put(http, digest, data: bytes, offset: int, size: int, **params):
    return http.put(
        f"{SNAPSHOT_API}/blobs/{digest}",
        params={"offset": offset, "size": size, **params},
        content=data,
    )


def test_only_contents_the_datastore_lacks_are_asked_for(http, tmp_path):
    src = _source(tmp_path / "src", **{"a.py": b"a", "b/c.py": b"c", "same.py": b"a"})
    files = take_snapshot(src).files
    answer = http.post(f"{SNAPSHOT_API}/snapshots/missing", json={"files": files})
    assert answer.status_code == 200, answer.text
    assert sorted(answer.json()["missing"]) == sorted(set(files.values()))
    assert _put(http, files["a.py"], b"a", 0, 1).json() == {"received": 1, "complete": True}
    answer = http.post(f"{SNAPSHOT_API}/snapshots/missing", json={"files": files})
    assert answer.json()["missing"] == [files["b/c.py"]]


def test_a_snapshot_goes_up_in_chunks_commits_and_fetches_on_a_worker(server, home, tmp_path):
    big = os.urandom(20 * MIB + 5)
    src = _source(tmp_path / "src", **{"train.py": b"print('hi')", "data/big.bin": big})
    snapshot = take_snapshot(src)
    uploaded = upload_snapshot(_api(server), snapshot)
    assert uploaded.path == f".mlpipelines/snapshot-files/{snapshot.digest.replace(':', '-')}"
    assert uploaded.store.name == "workspaceblobstore" and uploaded.store.is_local
    assert uploaded.sent_bytes == len(big) + len(b"print('hi')")
    chunk_puts = [p for m, p in server.seen if m == "PUT" and "/blobs/" in p]
    assert len(chunk_puts) == 1 + 3, "20 MiB in three chunks of 8 MiB, plus the small file"
    folder = Path(source_folder(uploaded.source_ref))
    assert (folder / "data" / "big.bin").read_bytes() == big
    assert (folder / "train.py").read_bytes() == b"print('hi')"
    assert not list((home / "mlpipelines" / "uploads").rglob("*.part")), "staging emptied"
    assert (folder / "data" / "big.bin").stat().st_mode & 0o044, "readable by workers"

    (src / "train.py").write_bytes(b"print('changed')")
    again = upload_snapshot(_api(server), take_snapshot(src))
    assert again.sent_bytes == len(b"print('changed')"), "only the changed file went up"
    assert len(_blobs(home)) == 3


@pytest.mark.parametrize("attempts", [1, 3], ids=["resume-from-GET", "retry-gets-409"])
def test_an_upload_resumes_after_lost_answers(server, home, tmp_path, attempts):
    big = os.urandom(20 * MIB)
    src = _source(tmp_path / "src", **{"big.bin": big})
    digest = file_digest(src / "big.bin")
    server.rules = [["PUT", f"/blobs/{digest}", 2]]  # the first two chunks land, answers lost
    uploaded = upload_snapshot(_api(server, attempts), take_snapshot(src))
    assert (Path(source_folder(uploaded.source_ref)) / "big.bin").read_bytes() == big
    puts = [p for m, p in server.seen if m == "PUT" and digest in p]
    assert len(puts) <= 5, "no chunk was sent more than twice"
    gets = [p for m, p in server.seen if m == "GET" and digest in p]
    assert (len(gets) > 0) == (attempts == 1), "a client that gave up a call asks where to go on"


def test_a_chunk_at_the_wrong_offset_is_refused_with_the_offset_to_use(http):
    digest = "12" * 32
    assert _put(http, digest, b"abcd", 0, 10).json() == {"received": 4, "complete": False}
    refused = _put(http, digest, b"efgh", 6, 10)
    assert refused.status_code == 409
    assert refused.json()["detail"]["received"] == 4
    assert _put(http, digest, b"abcd", 0, 10).status_code == 409, "a repeated chunk is refused"
    state = http.get(f"{SNAPSHOT_API}/blobs/{digest}").json()
    assert state == {"received": 4, "size": 10, "complete": False}


def test_bytes_that_do_not_hash_to_their_name_are_refused_and_dropped(http, home):
    digest = "34" * 32
    refused = _put(http, digest, b"not that content", 0, 16)
    assert refused.status_code == 422
    assert "dropped" in refused.json()["detail"]
    assert http.get(f"{SNAPSHOT_API}/blobs/{digest}").json() == {"received": 0, "complete": False}
    assert not _blobs(home)


def test_limits_answer_413_naming_the_setting(http, monkeypatch, tmp_path):
    files = take_snapshot(_source(tmp_path / "src", **{"a.py": b"abc", "b.py": b"de"})).files
    digest = files["a.py"]
    monkeypatch.setenv("MLPIPELINES_MAX_UPLOAD_FILE_BYTES", "2")
    refused = _put(http, digest, b"abc", 0, 3)
    assert refused.status_code == 413
    assert "MLPIPELINES_MAX_UPLOAD_FILE_BYTES" in refused.json()["detail"]
    monkeypatch.delenv("MLPIPELINES_MAX_UPLOAD_FILE_BYTES")

    too_big = _put(http, "56" * 32, b"x" * (8 * MIB + 1), 0, 9 * MIB)
    assert too_big.status_code == 413 and "chunk" in too_big.json()["detail"]

    monkeypatch.setenv("MLPIPELINES_MAX_SNAPSHOT_FILES", "1")
    many = http.post(f"{SNAPSHOT_API}/snapshots/missing", json={"files": files})
    assert many.status_code == 413 and "MLPIPELINES_MAX_SNAPSHOT_FILES" in many.json()["detail"]
    monkeypatch.delenv("MLPIPELINES_MAX_SNAPSHOT_FILES")

    monkeypatch.setenv("MLPIPELINES_MAX_SNAPSHOT_BYTES", "4")
    early = http.post(f"{SNAPSHOT_API}/snapshots/missing", json={"files": files, "bytes": 5})
    assert early.status_code == 413 and "MLPIPELINES_MAX_SNAPSHOT_BYTES" in early.json()["detail"]
    for path, data in (("a.py", b"abc"), ("b.py", b"de")):
        assert _put(http, files[path], data, 0, len(data)).status_code == 200
    commit = http.put(f"{SNAPSHOT_API}/snapshots/{files_digest(files)}", json={"files": files})
    assert commit.status_code == 413 and "10 GiB" not in commit.json()["detail"]
    assert "5 bytes" in commit.json()["detail"]


@pytest.mark.parametrize("path", ["../evil.py", "/etc/passwd", "a\\b.py", "a\x00.py", "a//b"])
def test_paths_that_could_leave_the_snapshot_are_refused(http, path):
    answer = http.post(f"{SNAPSHOT_API}/snapshots/missing", json={"files": {path: "ab" * 32}})
    assert answer.status_code == 422, answer.text


@pytest.mark.parametrize("digest", ["AB" * 32, "ab" * 31, "..%2F..%2Fetc", "zz" * 32])
def test_digests_that_are_not_hex_are_refused(http, digest):
    assert http.get(f"{SNAPSHOT_API}/blobs/{digest}").status_code in (404, 422)
    assert _put(http, digest, b"x", 0, 1).status_code in (404, 422)


def test_a_commit_needs_every_blob_and_the_right_digest_and_can_be_repeated(http, tmp_path):
    src = _source(tmp_path / "src", **{"a.py": b"a", "b.py": b"b"})
    snapshot = take_snapshot(src)
    url = f"{SNAPSHOT_API}/snapshots/{snapshot.digest}"
    early = http.put(url, json={"files": snapshot.files})
    assert early.status_code == 409
    assert sorted(early.json()["detail"]["missing"]) == sorted(snapshot.files.values())
    for path, data in (("a.py", b"a"), ("b.py", b"b")):
        _put(http, snapshot.files[path], data, 0, 1)
    wrong = http.put(url, json={"files": {"a.py": snapshot.files["a.py"]}})
    assert wrong.status_code == 422 and "hash to" in wrong.json()["detail"]
    first = http.put(url, json={"files": snapshot.files})
    assert first.status_code == 200, first.text
    assert http.put(url, json={"files": snapshot.files}).json() == first.json()
    ref = SourceRef.from_json({"store": first.json()["datastore"], "path": first.json()["path"]})
    assert (Path(source_folder(ref)) / "b.py").read_bytes() == b"b"


def test_a_datastore_is_named_never_given_as_a_path(http):
    body = {"files": {"a.py": "ab" * 32}}
    unknown = http.post(
        f"{SNAPSHOT_API}/snapshots/missing", params={"datastore": "nosuch"}, json=body
    )
    assert unknown.status_code == 404 and "no datastore named 'nosuch'" in unknown.json()["detail"]
    bad = http.post(f"{SNAPSHOT_API}/snapshots/missing", params={"datastore": "../x"}, json=body)
    assert bad.status_code == 422


def test_the_routes_need_a_logged_in_user(home):
    with TestClient(app) as anonymous:
        answer = anonymous.post("/api/v1/snapshots/missing", json={"files": {}})
    assert answer.status_code == 401


@pytest.mark.integration
def test_a_remote_default_datastore_gets_blobs_and_a_listing(
    server, azurite, monkeypatch, tmp_path
):
    body = azurite.connection_body("uploadstore")
    monkeypatch.setenv(environment_name("uploadstore"), environment_value(body))
    monkeypatch.setenv("MLPIPELINES_DEFAULT_DATASTORE", "uploadstore")
    src = _source(tmp_path / "src", **{"train.py": b"remote", "big.bin": os.urandom(9 * MIB)})
    snapshot = take_snapshot(src)
    uploaded = upload_snapshot(_api(server), snapshot)
    assert uploaded.store.name == "uploadstore" and not uploaded.store.is_local
    location = azurite.location("uploadstore", container=json.loads(body["extra"])["container"])
    listing = json.loads(location.fs.cat_file(location.path(f"{uploaded.path}.json")))
    assert listing["files"] == snapshot.files
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "worker-tmp"))
    (tmp_path / "worker-tmp").mkdir()
    folder = Path(source_folder(uploaded.source_ref))
    assert (folder / "train.py").read_bytes() == b"remote"
    partial = replace(snapshot, files={"train.py": snapshot.files["train.py"]})
    with pytest.raises(UserErrorException, match="hash to"):
        upload_snapshot(_api(server), partial)
