"""The one-time probe of this machine's hashing threads: measured, remembered, never trusted
when malformed, and never a reason for another algorithm."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlpipelines.snapshot import ALGORITHM, hash_files, hash_probe
from mlpipelines.snapshot import digest as digest_module
from mlpipelines.snapshot.hash_probe import (
    HashingPlan,
    default_plan,
    probe_path,
    remembered_plan,
    save_plan,
)


@pytest.fixture(autouse=True)
def probe_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(digest_module, "_plan", None)
    return tmp_path / "xdg"


def test_the_probe_file_names_the_algorithm_and_the_cores(probe_home: Path) -> None:
    path = probe_path()
    assert path.startswith(str(probe_home / "mlpipelines"))
    assert f"-{ALGORITHM}-{os.cpu_count()}" in os.path.basename(path)


def test_a_small_batch_uses_the_default_without_measuring(probe_home: Path) -> None:
    assert digest_module.hashing_plan(1 << 20) == default_plan()
    assert not os.path.exists(probe_path())


def test_a_big_batch_on_a_quiet_machine_measures_once_and_later_processes_reuse_it(
    probe_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hash_probe, "_QUIET_LOAD", 1e9)  # whatever else this machine runs
    plan = digest_module.hashing_plan(1 << 30)
    assert 1 <= plan.workers <= max(1, min(8, os.cpu_count() or 1))
    assert "1 threads" in plan.measured_gbps
    assert all(value > 0 for value in plan.measured_gbps.values())
    assert remembered_plan() == plan
    saved = HashingPlan(3, False, {"1 threads": 1.0})
    save_plan(saved)
    digest_module._plan = None  # a new process
    assert digest_module.hashing_plan(1 << 30) == saved


def test_a_busy_machine_is_not_measured(probe_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hash_probe, "_QUIET_LOAD", -1.0)
    assert digest_module.hashing_plan(1 << 30) == default_plan()
    assert not os.path.exists(probe_path())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        '{"workers": 0, "split_big_files": true, "measured_gbps": {}}',
        '{"workers": 2}',
    ],
)
def test_a_malformed_probe_file_is_ignored(probe_home: Path, text: str) -> None:
    os.makedirs(os.path.dirname(probe_path()))
    Path(probe_path()).write_text(text)
    assert remembered_plan() is None
    assert digest_module.hashing_plan(1 << 20) == default_plan()


def test_any_plan_gives_the_same_digests(tmp_path: Path) -> None:
    files = {f"f{i}": os.urandom(i * 70_001) for i in range(1, 8)}
    files["big"] = os.urandom(9 << 20)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    expected = hash_files(tmp_path, sorted(files), workers=1)
    for plan in (HashingPlan(1, True, {}), HashingPlan(4, False, {}), HashingPlan(2, True, {})):
        digest_module._plan = plan
        assert hash_files(tmp_path, sorted(files)) == expected


def test_the_saved_plan_is_json(probe_home: Path) -> None:
    save_plan(HashingPlan(2, True, {"1 threads": 1.5}))
    assert json.loads(Path(probe_path()).read_text())["workers"] == 2
