"""This machine's survey: which temp work folders live processes still use, and which stat
caches remember only files that are gone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlpipelines.gc.machine_survey import survey_machine
from mlpipelines.gc.store_listing import is_leftover
from mlpipelines.snapshot import StatCache, take_snapshot, tree_fingerprint

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")


@pytest.fixture
def processes():
    started: list[subprocess.Popen[bytes]] = []

    def start(cwd: Path, env: dict[str, str] | None = None) -> None:
        started.append(
            subprocess.Popen(
                [sys.executable, "-c", "import time; time.sleep(60)"],
                cwd=cwd,
                env={**os.environ, **(env or {})},
            )
        )

    yield start
    for process in started:
        process.kill()
        process.wait()


def test_temp_folders_in_use_by_a_live_process_are_marked_in_use(tmp_path, processes):
    temp = tmp_path / "tmp"
    worked_in = temp / "mlpipelines-train-aaaa1111"
    named = temp / "mlpipelines-out-bbbb2222"
    idle = temp / "mlpipelines-train-cccc3333"
    near = temp / "mlpipelines-train-aaaa11112"  # a name that merely starts alike
    for folder in (worked_in / "source", named, idle, near, temp / "mlpipelines-blobs"):
        folder.mkdir(parents=True)
    (temp / "other-tool-dddd").mkdir()
    processes(worked_in / "source")
    processes(tmp_path, {"AZUREML_DATAREFERENCE_out": str(named)})
    time.sleep(0.2)
    facts = survey_machine(temp, tmp_path / "stat")
    assert facts.inspectable
    found = {Path(f.entry.path).name: f.in_use for f in facts.temp_folders}
    assert found == {
        "mlpipelines-train-aaaa1111": True,
        "mlpipelines-out-bbbb2222": True,
        "mlpipelines-train-cccc3333": False,
        "mlpipelines-train-aaaa11112": False,
    }


def test_a_temp_folder_reports_its_bytes_and_newest_change(tmp_path):
    folder = tmp_path / "mlpipelines-step-eeee5555"
    (folder / "deep").mkdir(parents=True)
    (folder / "deep" / "f.bin").write_bytes(b"x" * 300)
    old = time.time() - 7200
    os.utime(folder, (old, old))
    [found] = survey_machine(tmp_path, tmp_path / "stat").temp_folders
    assert found.entry.bytes == 300
    assert found.entry.modified > old + 3600  # the file inside is new


def test_stat_caches_whose_files_are_all_gone_are_told_apart(tmp_path):
    cache_dir = tmp_path / "stat"
    kept, gone = tmp_path / "kept", tmp_path / "gone"
    for folder in (kept, gone):
        folder.mkdir()
        (folder / "a.txt").write_text("a")
        old = time.time() - 60
        os.utime(folder / "a.txt", (old, old))  # older than the racy window: cached
        tree_fingerprint(folder, StatCache.for_root(folder, cache_dir))
    # A source folder's cache names files relative to it: whether it is gone is unknown.
    source = tmp_path / "source"
    source.mkdir()
    (source / "train.py").write_text("print(1)")
    os.utime(source / "train.py", (old, old))
    take_snapshot(source, StatCache.for_root(source, cache_dir))
    (gone / "a.txt").unlink()
    gone.rmdir()
    facts = survey_machine(tmp_path / "no-temp", cache_dir)
    by_root = {c.entry.path: c.roots_exist for c in facts.stat_caches}
    assert by_root == {
        StatCache.for_root(kept, cache_dir).path: True,
        StatCache.for_root(gone, cache_dir).path: False,
        StatCache.for_root(source, cache_dir).path: True,
    }


def test_leftover_names_are_only_those_unfinished_writers_leave():
    assert is_leftover(".model.partial-0123456789ab")
    assert is_leftover("model.stale-0123456789ab")
    assert is_leftover(".k.json.0123abcd.tmp")
    assert is_leftover(".blake3-abcdef.0123abcd")
    assert not is_leftover("model")
    assert not is_leftover(".mlpipelines-empty-output")
    assert not is_leftover("manual__2026-01-01T00_00_00_00_00_abc123")
