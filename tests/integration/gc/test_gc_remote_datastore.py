"""``mlpipelines gc`` with the default datastore on S3 (moto), as a deployment whose workers
share no disk has it: runs, manifests, snapshot listings and blobs removed through the same
storage layer the tasks write with."""

from __future__ import annotations

import json
import uuid

import pytest

from mlpipelines import Workspace
from mlpipelines.publishing.experiments import note_experiment
from mlpipelines.storage import datastores
from mlpipelines.storage.registration import environment_name, environment_value
from support.gc_runs import GcDeployment

pytestmark = pytest.mark.integration


@pytest.fixture
def remote(tmp_path, monkeypatch, moto_s3):
    made = GcDeployment(tmp_path)
    monkeypatch.setenv("AIRFLOW_HOME", str(made.home))
    body = moto_s3.connection_body("workspaceblobstore")
    monkeypatch.setenv(environment_name("workspaceblobstore"), environment_value(body))
    datastores._opened.cache_clear()
    yield made
    datastores._opened.cache_clear()


def test_gc_on_s3_removes_old_runs_and_the_snapshots_and_blobs_only_they_used(remote):
    d = remote
    assert not d.location.is_local
    exp = f"exp_{uuid.uuid4().hex[:6]}"
    first = d.submit(exp, d.sources("v1"))
    note_experiment(exp, exp, Workspace.current())
    d.run(exp, first, "r1", 1)
    d.run(exp, first, "r2", 2)
    second = d.submit(exp, d.sources("v2"))
    d.run(exp, second, "r3", 3)
    d.kill_mid_write(exp, second["produce"], "r4")
    d.ran()
    old_consume = first["consume"].source_ref.path
    kept_produce = second["produce"].source_ref.path
    fs = d.location.fs
    listing = json.loads(fs.cat_file(d.location.path(old_consume + ".json")))
    old_blob = listing["files"]["consume.py"]
    produce_listing = json.loads(fs.cat_file(d.location.path(kept_produce + ".json")))
    produce_blob = produce_listing["files"]["produce.py"]
    assert d.listing(".mlpipelines/reuse") and [
        n for n in d.listing(".mlpipelines/reuse") if n.endswith(".inprogress")
    ]
    assert [p for p in d.temp.iterdir() if p.name.startswith("mlpipelines-")]

    d.gc("--keep-last", "1", "--older-than", "0s", "--grace", "0s")

    assert d.listing(f"pipelinedata/{exp}") == ["r3"]
    assert d.listing(f"artifacts/{exp}") == ["r3"]
    assert {m["run_id"] for m in d.manifests().values()} == {"r3"}
    assert not [n for n in d.listing(".mlpipelines/reuse") if n.endswith(".inprogress")]
    # The task's work folders went; the machine's content-addressed caches stay.
    left = sorted(p.name for p in d.temp.iterdir() if p.name.startswith("mlpipelines-"))
    assert left == ["mlpipelines-blobs", "mlpipelines-snapshots"]
    snapshots = d.snapshots()
    assert old_consume.rsplit("/", 1)[-1] + ".json" not in snapshots
    assert kept_produce.rsplit("/", 1)[-1] + ".json" in snapshots
    blobs = ".mlpipelines/blobs/{}/{}/{}"
    algorithm = old_consume.rsplit("/", 1)[-1].split("-", 1)[0]
    assert not fs.exists(d.location.path(blobs.format(algorithm, old_blob[:2], old_blob)))
    assert fs.exists(d.location.path(blobs.format(algorithm, produce_blob[:2], produce_blob)))

    # The old run's parameters recompute; the kept run's are reused.
    assert d.run(exp, second, "r5", 1) == {"produce": False, "consume": False}
    assert d.run(exp, second, "r6", 3) == {"produce": True, "consume": True}
