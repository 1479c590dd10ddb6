"""The mini-batch cache read in one pass: a damaged, foreign or missing result is no result,
a plan's mini-batches read back in either JSON form, and a layout in either version."""

from __future__ import annotations

import json

from mlpipelines.records import DatastoreSpec
from mlpipelines.reuse.mini_batches import EarlierBatch, MiniBatchStore
from mlpipelines.runtime.parallel_run_plan import MiniBatch


def test_results_and_finished_skip_what_is_missing_damaged_or_under_another_key(tmp_path):
    store = MiniBatchStore(DatastoreSpec("cache", "local", str(tmp_path)))
    store.save_result({"key": "a" * 64, "index": 0, "ok": True})
    store.save_result({"key": "b" * 64, "index": 1, "ok": True})
    batches = tmp_path / ".mlpipelines" / "parallel_run" / "batches"
    (batches / f"{'b' * 64}.json").write_text('{"key": "bbb', encoding="utf-8")  # damaged
    (batches / f"{'c' * 64}.json").write_text(json.dumps({"key": "d" * 64}), encoding="utf-8")
    keys = ["a" * 64, "b" * 64, "c" * 64, "e" * 64]
    assert list(store.results(keys)) == ["a" * 64]
    assert store.finished(keys) == [True, True, True, False]

    store.save_run_result("run1", "score__run", {"key": "e" * 64, "index": 3, "ok": False})
    assert list(store.run_results("run1", "score__run", keys)) == ["e" * 64]
    assert store.run_results("run2", "score__run", keys) == {}


def test_mini_batches_read_back_in_columns_or_as_earlier_plans_pushed_them():
    batch = MiniBatch(2, "k", [("a.csv", "blake3:1"), ("b.csv", "blake3:2")], cached=True)
    data = batch.to_json()
    assert data["names"] == ["a.csv", "b.csv"] and "items" not in data
    assert MiniBatch.from_json(data) == batch
    earlier = {
        "index": 2,
        "key": "k",
        "cached": True,
        "items": [["a.csv", "blake3:1"], ["b.csv", "blake3:2"]],
    }
    assert MiniBatch.from_json(earlier) == batch
    rows = MiniBatch(0, "r", [], (10, 20))
    assert MiniBatch.from_json(rows.to_json()) == rows


def test_layouts_keep_each_mini_batch_with_its_key_and_version_1_still_reads(tmp_path):
    store = MiniBatchStore(DatastoreSpec("cache", "local", str(tmp_path)))
    kept = [EarlierBatch("k" * 64, ["a.csv", "b.csv"], ["blake3:1", "blake3:2"])]
    store.save_layout("new", kept)
    assert store.layout("new") == kept
    layouts = tmp_path / ".mlpipelines" / "parallel_run" / "layouts"
    version_1 = {"batches": [[["a.csv", "blake3:1"], ["b.csv", "blake3:2"]]]}
    (layouts / "old.json").write_text(json.dumps(version_1), encoding="utf-8")
    assert store.layout("old") == [EarlierBatch(None, ["a.csv", "b.csv"], ["blake3:1", "blake3:2"])]
    for damaged in (
        "{",
        "[]",
        '{"schema": 2, "batches": [{"key": null, "names": [], "fingerprints": []}]}',
    ):
        (layouts / "bad.json").write_text(damaged, encoding="utf-8")
        assert store.layout("bad") == []
    assert store.layout("missing") == []
