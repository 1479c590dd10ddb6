"""`mlpipelines airflow up` puts the loader DAG file into a dags folder that lacks one, so
submit and publish work whatever dags folder the user starts Airflow with."""

from __future__ import annotations

from pathlib import Path

from mlpipelines.cli.local_airflow import ensure_loader_dag

REPO_LOADER = Path(__file__).resolve().parents[2] / "dags" / "mlpipelines_specs.py"


def test_a_dags_folder_without_a_loader_gets_the_repositorys_file(tmp_path):
    assert ensure_loader_dag(tmp_path) is True
    assert (tmp_path / "mlpipelines_specs.py").read_text() == REPO_LOADER.read_text()
    (tmp_path / "mlpipelines_specs.py").write_text("# the user's own edits\n")
    assert ensure_loader_dag(tmp_path) is False
    assert (tmp_path / "mlpipelines_specs.py").read_text() == "# the user's own edits\n"


def test_a_loader_under_another_name_is_left_alone(tmp_path):
    (tmp_path / "specs.py").write_text(REPO_LOADER.read_text())
    assert ensure_loader_dag(tmp_path) is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["specs.py"]
