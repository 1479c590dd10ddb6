"""``mlpipelines gc`` on a real local datastore laid out by real code paths: snapshots
shipped and specs stored as submitting and publishing store them, runs made by the step
runtime (outputs, artifacts, manifests), and a step task killed mid-write (its partial
output, temp work folder and reuse marker left behind)."""

from __future__ import annotations

import time
import uuid

import pytest

from mlpipelines import Workspace
from mlpipelines.publishing.experiments import note_experiment
from mlpipelines.publishing.records import RecordStore
from mlpipelines.records import StepDefinition
from mlpipelines.reuse.store import ReuseStore
from mlpipelines.snapshot.stat_cache import cached_paths
from support.gc_runs import GcDeployment

pytestmark = pytest.mark.integration


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    made = GcDeployment(tmp_path)
    monkeypatch.setenv("AIRFLOW_HOME", str(made.home))
    monkeypatch.delenv("MLPIPELINES_CACHE_DIR", raising=False)
    return made


def _snapshot_of(definition: StepDefinition) -> str:
    assert definition.source_ref is not None
    return definition.source_ref.path.rsplit("/", 1)[-1]


def test_gc_keeps_what_is_needed_and_removes_old_runs_orphans_and_unused_sources(
    deployment, capsys
):
    d = deployment
    exp = f"exp_{uuid.uuid4().hex[:6]}"
    first = d.submit(exp, d.sources("v1"))
    note_experiment(exp, exp, Workspace.current())
    assert d.run(exp, first, "r1", 1) == {"produce": False, "consume": False}
    assert d.run(exp, first, "r2", 2) == {"produce": False, "consume": False}
    # Published from the first version: its snapshots must outlive the experiment's moving on.
    published = d.submit("pub__v1", d.sources("v1"))
    RecordStore.published(Workspace.current()).put(
        {"id": "p1", "name": "pub", "version": "1", "dag_id": "pub__v1", "status": "Active"}
    )
    second = d.submit(exp, d.sources("v2"))
    assert d.run(exp, second, "r3", 3) == {"produce": False, "consume": False}
    # A publish that timed out: its spec and snapshots were stored, its record never was.
    abandoned = d.submit("timed_out__v1", d.sources("v3", name="scratch"))
    d.kill_mid_write(exp, second["produce"], "r4")
    d.ran()
    manifests_before = d.manifests()
    assert {m["run_id"] for m in manifests_before.values()} == {"r1", "r2", "r3"}
    work_folders = [p for p in d.temp.iterdir() if p.name.startswith("mlpipelines-")]
    assert work_folders, "the killed task left its work folder"
    run4 = d.store / "pipelinedata" / exp / "r4" / "produce"
    assert [p.name for p in run4.iterdir() if ".partial-" in p.name]
    assert list((d.store / ".mlpipelines" / "reuse").glob("*.inprogress"))
    snapshots_before = d.snapshots()

    d.gc("--dry-run", "--keep-last", "2", "--older-than", "0s", "--grace", "0s")
    shown = capsys.readouterr().out
    for title in ("reuse manifests", "run outputs", "leftovers of killed tasks", "total"):
        assert title in shown
    assert d.manifests() == manifests_before and d.snapshots() == snapshots_before

    d.gc("--keep-last", "2", "--older-than", "0s", "--grace", "0s")
    assert "freed" in capsys.readouterr().out

    # Old runs' outputs, artifacts and manifests are gone; the newest two runs' stay.
    assert sorted(p.name for p in (d.store / "pipelinedata" / exp).iterdir()) == ["r3", "r4"]
    assert sorted(p.name for p in (d.store / "artifacts" / exp).iterdir()) == ["r3"]
    assert {m["run_id"] for m in d.manifests().values()} == {"r3"}
    # The killed task's partial output, work folder and marker are gone.
    assert not [p for p in run4.iterdir() if ".partial-" in p.name]
    assert not [p for p in d.temp.iterdir() if p.name.startswith("mlpipelines-")]
    assert not list((d.store / ".mlpipelines" / "reuse").glob("*.inprogress"))
    # Specs: the experiment's and the published one stay, the unrecorded one goes, with
    # the snapshot only it named; the published pipeline keeps its (older) snapshots.
    specs = d.store / ".mlpipelines" / "specs"
    assert sorted(p.name for p in specs.iterdir()) == [f"{exp}.json", "pub__v1.json"]
    assert d.snapshots() == snapshots_before - {_snapshot_of(abandoned["consume"])}
    for definition in (*published.values(), *second.values()):
        assert _snapshot_of(definition) in d.snapshots()
    # No manifest left points at data that is gone.
    store = ReuseStore(second["produce"].default_datastore)
    for key in d.manifests():
        manifest, warning = store.load_manifest(key)
        assert manifest is not None and warning is None

    # Re-running an old run's parameters recomputes (its manifests went with its data);
    # the kept run's are reused.
    assert d.run(exp, second, "r5", 1) == {"produce": False, "consume": False}
    assert d.ran() == ["produce 1", "consume"]
    assert d.run(exp, second, "r6", 3) == {"produce": True, "consume": True}
    assert d.ran() == []


def test_a_second_gc_drops_the_stat_caches_of_removed_outputs(deployment, capsys):
    d = deployment
    exp = f"exp_{uuid.uuid4().hex[:6]}"
    steps = d.submit(exp, d.sources("v1"))
    note_experiment(exp, exp, Workspace.current())
    for n in (1, 2, 3):
        d.run(exp, steps, f"r{n}", n)
    time.sleep(2.2)  # older than the stat cache's racy window: checking a reuse caches them
    for n in (1, 2, 3):
        assert d.run(exp, steps, f"again{n}", n) == {"produce": True, "consume": True}
    cache = d.home / "mlpipelines" / ".cache" / "stat"
    roots = {p: cached_paths(p) for p in cache.iterdir()}
    old = {
        p
        for p, files in roots.items()
        if any(f"/{exp}/r1/" in f or f"/{exp}/r2/" in f for f in files)
    }
    assert len(old) == 4  # two outputs in each of two runs

    d.gc("--keep-last", "1", "--older-than", "0s", "--grace", "0s")
    assert set(cache.iterdir()) == set(roots)  # their outputs were still there when surveyed
    assert not (d.store / "pipelinedata" / exp / "r1").exists()
    capsys.readouterr()
    d.gc("--keep-last", "1", "--older-than", "0s", "--grace", "0s", "--list")
    assert "stat caches" in capsys.readouterr().out
    assert set(cache.iterdir()) == set(roots) - old
