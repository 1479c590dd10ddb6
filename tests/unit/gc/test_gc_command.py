"""``mlpipelines gc`` as a command: it refuses to remove run data without Airflow to ask,
unless told it runs offline, and a dry run removes nothing."""

from __future__ import annotations

import json
import os
import time

from mlpipelines.cli.main import main


def _deployment(tmp_path, **config):
    home = tmp_path / "home"
    run = home / "mlpipelines/workspaceblobstore/pipelinedata/p/old_run/step/out"
    run.mkdir(parents=True)
    (run / "data.bin").write_bytes(b"x" * 2048)
    old = time.time() - 90 * 86400
    for path in (run / "data.bin", run, run.parent, run.parent.parent):
        os.utime(path, (old, old))
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"name": "gc", "home": str(home), **config}))
    (tmp_path / "tmp").mkdir()
    args = ["gc", "--config", str(path), "--temp-dir", str(tmp_path / "tmp")]
    return args, run


def test_without_airflow_to_ask_gc_refuses_and_removes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MLPIPELINES_AIRFLOW_URL", raising=False)
    args, run = _deployment(tmp_path)
    assert main([*args, "--keep-last", "0"]) == 2
    assert "--offline" in capsys.readouterr().err
    assert run.exists()


def test_offline_dry_run_shows_what_would_go_and_removes_nothing(tmp_path, capsys):
    args, run = _deployment(tmp_path)
    assert main([*args, "--offline", "--keep-last", "0", "--dry-run"]) == 0
    shown = capsys.readouterr().out
    assert "run outputs (PipelineData)" in shown and "2.0 KiB" in shown
    assert run.exists()
    assert main([*args, "--offline", "--keep-last", "0"]) == 0
    assert "freed" in capsys.readouterr().out
    assert not run.parent.parent.exists()
