"""A watched datastore folder: only files new or changed since the last recorded state
count, and of two polls that see one change only the first claims it."""

from __future__ import annotations

from mlpipelines.storage.location import StoreLocation
from mlpipelines.storage.path_watch import PathWatch, folder_state


def test_new_and_changed_files_are_claimed_once(tmp_path):
    data = StoreLocation.local(tmp_path / "store", datastore="watched")
    inbox = tmp_path / "store" / "file" / "path"
    inbox.mkdir(parents=True)
    (inbox / "old.csv").write_text("x\n")
    states = StoreLocation.local(tmp_path / "states", datastore="states")
    watch = PathWatch(states, "w1")

    watch.record_baseline(folder_state(data, "file/path"))
    assert watch.claim_changes(folder_state(data, "file/path")) == []

    (inbox / "new.csv").write_text("y\n")
    (inbox / "sub").mkdir()
    (inbox / "sub" / "deep.csv").write_text("z\n")
    seen = folder_state(data, "file/path")
    other_poll = PathWatch(states, "w1")
    assert watch.claim_changes(seen) == ["file/path/new.csv", "file/path/sub/deep.csv"]
    assert other_poll.claim_changes(seen) == [], "a change is claimed once"

    (inbox / "old.csv").write_text("changed, and longer\n")
    assert watch.claim_changes(folder_state(data, "file/path")) == ["file/path/old.csv"]

    (inbox / "new.csv").unlink()
    assert watch.claim_changes(folder_state(data, "file/path")) == []
    (inbox / "new.csv").write_text("y\n")
    assert watch.claim_changes(folder_state(data, "file/path")) == ["file/path/new.csv"]
    assert watch.latest()[0] == 4


def test_a_missing_folder_is_empty_and_internal_files_are_not_watched(tmp_path):
    data = StoreLocation.local(tmp_path / "store", datastore="watched")
    assert folder_state(data, "not/there") == {}
    (tmp_path / "store" / ".mlpipelines" / "watch").mkdir(parents=True)
    (tmp_path / "store" / ".mlpipelines" / "watch" / "0.json").write_text("{}")
    (tmp_path / "store" / "top.csv").write_text("t\n")
    assert list(folder_state(data, "")) == ["top.csv"]
