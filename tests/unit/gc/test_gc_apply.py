"""Applying removals on a real local folder: one item at a time, in order, tolerant of
items that vanished, and keeping what changed since it was surveyed."""

from __future__ import annotations

import os
import time

from mlpipelines.gc.apply import apply_removals
from mlpipelines.gc.removals import Category, Place, Removal
from mlpipelines.storage.location import StoreLocation


def _tree(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_removes_folders_and_files_and_leaves_nothing_aside(tmp_path):
    store = tmp_path / "store"
    (store / "pipelinedata/p/r1/step/out").mkdir(parents=True)
    (store / "pipelinedata/p/r1/step/out/data.bin").write_bytes(b"x" * 10)
    (store / ".mlpipelines/reuse").mkdir(parents=True)
    (store / ".mlpipelines/reuse/k.json").write_text("{}")
    (store / "pipelinedata/p/r2").mkdir(parents=True)
    removals = [
        Removal("pipelinedata/p/r1", 10, "old", Category.OUTPUTS),
        Removal(".mlpipelines/reuse/k.json", 2, "old", Category.MANIFESTS),
    ]
    outcome = apply_removals(removals, {Place.DATASTORE: StoreLocation.local(store)})
    # The manifest goes first, whatever order the plan listed them in.
    assert [r.path for r in outcome.removed] == [".mlpipelines/reuse/k.json", "pipelinedata/p/r1"]
    assert outcome.freed == 12
    assert _tree(store) == [
        ".mlpipelines",
        ".mlpipelines/reuse",
        "pipelinedata",
        "pipelinedata/p",
        "pipelinedata/p/r2",
    ]


def test_an_item_gone_meanwhile_is_counted_as_vanished_not_failed(tmp_path):
    removal = Removal("pipelinedata/p/r9", 5, "old", Category.OUTPUTS)
    outcome = apply_removals([removal], {Place.DATASTORE: StoreLocation.local(tmp_path)})
    assert outcome.vanished == [removal]
    assert outcome.removed == [] and outcome.failed == []


def test_a_document_rewritten_since_the_survey_is_kept(tmp_path):
    marker = tmp_path / ".mlpipelines/reuse/k.inprogress"
    marker.parent.mkdir(parents=True)
    marker.write_text('{"heartbeat": 1}')
    seen = marker.stat().st_mtime
    os.utime(marker, (time.time() + 5, time.time() + 5))  # a heartbeat after the survey
    removal = Removal(".mlpipelines/reuse/k.inprogress", 1, "stale", Category.MARKERS, seen)
    outcome = apply_removals([removal], {Place.DATASTORE: StoreLocation.local(tmp_path)})
    assert outcome.changed == [removal]
    assert marker.exists()


def test_machine_paths_are_absolute(tmp_path):
    folder = tmp_path / "mlpipelines-step-abc"
    (folder / "source").mkdir(parents=True)
    (folder / "source/train.py").write_text("print(1)")
    removal = Removal(str(folder), 8, "orphan", Category.TEMP_FOLDERS)
    outcome = apply_removals([removal], {Place.DATASTORE: None})
    assert outcome.removed == [removal]
    assert list(tmp_path.iterdir()) == []
