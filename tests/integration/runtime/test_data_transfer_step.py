"""DataTransferStep between real stores (a local folder, Azurite, moto's S3): copies that are
verified, reused, resumed after a storage outage, and never visible half-done."""

from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path

import pytest

from mlpipelines import (
    DataReference,
    Datastore,
    DataTransferStep,
    Pipeline,
    PipelineData,
    PipelineValidationError,
    Workspace,
)
from mlpipelines.errors import StepRunError
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.records import DatastoreSpec
from mlpipelines.runtime.data_transfer import run_data_transfer_step
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.storage import StoreLocation, datastores
from mlpipelines.storage.registration import environment_name, environment_value

pytestmark = pytest.mark.integration
SIZE = 6 * 1024 * 1024


@pytest.fixture
def stores(azurite, moto_s3, monkeypatch, tmp_path):
    """A local datastore with a folder of files, an Azurite and an S3 datastore."""
    blob, s3 = azurite.connection_body("xfer_blob"), moto_s3.connection_body("xfer_s3")
    for body in (blob, s3):
        monkeypatch.setenv(environment_name(body["connection_id"]), environment_value(body))
    datastores._opened.cache_clear()
    ws = Workspace.current()
    local = Datastore.register_local_folder(ws, "xfer_local", str(tmp_path / "local"))
    folder = tmp_path / "local" / "models"
    folder.mkdir(parents=True)
    for i in range(4):
        (folder / f"part-{i}.bin").write_bytes(os.urandom(SIZE))
    (folder / "README").write_text("four parts")
    yield ws, local, folder
    datastores._opened.cache_clear()


def _definitions(ws, local):
    models = DataReference(local, "models", "models")
    staged = PipelineData("staged", datastore=Datastore(ws, "xfer_blob"))
    to_blob = DataTransferStep("to_blob", models, staged)
    published = DataReference(Datastore(ws, "xfer_s3"), "published", "release/models")
    to_s3 = DataTransferStep("to_s3", staged, published)
    plan = plan_pipeline(Pipeline(ws, [to_blob, to_s3]))
    return {t.task_id: t.definition for t in plan.tasks}


def _ctx(run_id, task_id, pushed=None):
    pushed = pushed or {}
    return StepContext(
        "xfer", run_id, task_id, params={}, pull_output=lambda p, n: pushed.get((p, n))
    )


def _files(location: StoreLocation, rel: str) -> dict[str, int]:
    location.fs.invalidate_cache()
    root = location.path(rel)
    return {
        p[len(root) + 1 :]: info["size"] for p, info in location.fs.find(root, detail=True).items()
    }


def test_local_to_blob_to_s3_verified_and_reused(stores):
    ws, local, folder = stores
    steps = _definitions(ws, local)
    run = f"r{uuid.uuid4().hex[:8]}"
    first = run_data_transfer_step(steps["to_blob"], _ctx(run, "to_blob"))
    ref = first.outputs["staged"]
    assert ref.path == f"pipelinedata/xfer/{run}/to_blob/staged"
    assert first.metrics["files"] == 5 and first.metrics["bytes"] == 4 * SIZE + len("four parts")
    blob = datastores.location_of(ref.store)
    assert _files(blob, ref.path) == {
        **{f"part-{i}.bin": SIZE for i in range(4)},
        "README": len("four parts"),
    }

    second = run_data_transfer_step(
        steps["to_s3"], _ctx(run, "to_s3", {("to_blob", "staged"): ref})
    )
    s3 = datastores.location_of(DatastoreSpec("xfer_s3", "connection"))
    assert _files(s3, "release/models")["part-3.bin"] == SIZE
    assert (s3.fs.cat_file(s3.path("release/models/README"))) == b"four parts"
    assert not [p for p in s3.fs.find(s3.path("release")) if ".partial-" in p]
    assert second.outputs["destination"].uri.startswith("s3://")

    again = run_data_transfer_step(steps["to_blob"], _ctx(f"{run}b", "to_blob"))
    assert again.reused is not None and again.reused.run_id == run

    (folder / "README").write_text("four parts, v2")
    changed = run_data_transfer_step(steps["to_blob"], _ctx(f"{run}c", "to_blob"))
    assert changed.reused is None


def test_a_file_source_must_be_what_the_step_says(stores):
    ws, local, _ = stores
    step = DataTransferStep(
        "one_file",
        DataReference(local, "readme", "models/README"),
        DataReference(Datastore(ws, "xfer_s3"), "dest", "docs"),
        source_reference_type="directory",
        allow_reuse=False,
    )
    (definition,) = [t.definition for t in plan_pipeline(Pipeline(ws, [step])).tasks]
    with pytest.raises(StepRunError, match="is a file, but source_reference_type is 'directory'"):
        run_data_transfer_step(definition, _ctx("r1", "one_file"))


def test_s3_stopped_mid_copy_fails_shows_nothing_and_the_retry_completes(
    stores, moto_s3, monkeypatch
):
    ws, local, _ = stores
    step = DataTransferStep(
        "publish",
        DataReference(local, "models", "models"),
        DataReference(Datastore(ws, "xfer_s3"), "dest", "outage/models"),
        allow_reuse=False,
    )
    (definition,) = [t.definition for t in plan_pipeline(Pipeline(ws, [step])).tasks]
    real = datastores.location_of(DatastoreSpec("xfer_s3", "connection"))
    quick = StoreLocation(
        real.datastore, real.kind, real.root, (*real.options, ("max_attempts", 2), ("retries", 1))
    )
    monkeypatch.setattr(datastores, "open_datastore", lambda name: quick)
    datastores._opened.cache_clear()
    checker = StoreLocation(real.datastore, real.kind, real.root, real.options)

    def stop_after_first_part() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                checker.fs.invalidate_cache()
                if [p for p in checker.fs.find(checker.path("")) if p.endswith(".bin")]:
                    break
            except Exception:
                pass
            time.sleep(0.005)
        moto_s3.server.stop()

    watcher = threading.Thread(target=stop_after_first_part, daemon=True)
    watcher.start()
    try:
        with pytest.raises(StepRunError, match=r"datastore 'xfer_s3'"):
            run_data_transfer_step(definition, _ctx("outage", "publish"))
    finally:
        watcher.join(timeout=60)
        moto_s3.server.start()
    assert not checker.fs.exists(checker.path("outage/models")), "a partial destination shows"

    retried = run_data_transfer_step(definition, _ctx("outage", "publish"))
    assert retried.metrics["files"] == 5
    assert _files(checker, "outage/models")["part-0.bin"] == SIZE
    assert not [p for p in checker.fs.find(checker.path("outage")) if ".partial-" in p]


def test_local_to_local_replaces_the_destination_whole(stores, tmp_path):
    ws, local, folder = stores
    dest = tmp_path / "local" / "copy"
    dest.mkdir()
    (dest / "old.txt").write_text("from before")
    step = DataTransferStep(
        "mirror",
        DataReference(local, "models", "models"),
        DataReference(local, "copy", "copy"),
        allow_reuse=False,
    )
    (definition,) = [t.definition for t in plan_pipeline(Pipeline(ws, [step])).tasks]
    run_data_transfer_step(definition, _ctx("r1", "mirror"))
    assert sorted(p.name for p in dest.iterdir()) == sorted(p.name for p in folder.iterdir())
    assert not [p for p in Path(tmp_path / "local").iterdir() if ".partial-" in p.name]


def test_an_empty_folder_copies_to_an_empty_folder(stores, tmp_path):
    ws, local, _ = stores
    (tmp_path / "local" / "empty").mkdir()
    step = DataTransferStep(
        "nothing",
        DataReference(local, "empty", "empty"),
        DataReference(local, "copy", "empty-copy"),
        allow_reuse=False,
    )
    (definition,) = [t.definition for t in plan_pipeline(Pipeline(ws, [step])).tasks]
    result = run_data_transfer_step(definition, _ctx("r1", "nothing"))
    assert result.metrics["files"] == 0
    assert (tmp_path / "local" / "empty-copy").is_dir()


def test_a_destination_leaving_its_datastore_is_refused_at_definition(stores):
    ws, local, _ = stores
    step = DataTransferStep(
        "escape", DataReference(local, "models", "models"), DataReference(local, "x", "../x")
    )
    with pytest.raises(PipelineValidationError, match=r"destination 'x'.*leaves the datastore"):
        Pipeline(ws, [step]).validate()
