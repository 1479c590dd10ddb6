"""The note of a reused step: names and links the run and step it reused, lists metrics and
outputs, and stays within Airflow's 1,000 characters however much the step logged."""

from __future__ import annotations

from mlpipelines.plugin.reuse_note import NOTE_LIMIT, is_reuse_note, reused_note


def source(**extra) -> dict:
    return {
        "dag_id": "demo",
        "run_id": "manual__2026-12-01T10:00:00+00:00",
        "task_id": "train",
        "key": "0123456789abcdef0123",
        "metrics": {"accuracy": 0.93, "loss": [0.5, 0.2]},
        "outputs": {"model": {"datastore": "workspaceblobstore", "path": "pipelinedata/r1/model"}},
        **extra,
    }


def test_note_names_the_run_with_links_metrics_and_outputs():
    note = reused_note(source(), "/airflow", view_url="/airflow/dags/demo/runs/r/plugin/x")
    assert is_reuse_note(note)
    run = "manual__2026-12-01T10%3A00%3A00%2B00%3A00"
    first_line = note.splitlines()[0]  # what Airflow previews
    assert first_line.startswith(
        f"**Reused** from run [manual__2026-12-01T10:00:00+00:00](/airflow/dags/demo/runs/{run})"
    )
    assert f"[train](/airflow/dags/demo/runs/{run}/tasks/train)" in note
    assert "key `0123456789abcdef`" in note
    assert "- accuracy = 0.93" in note
    assert "- loss = 0.2 (last of 2)" in note
    assert "- model: workspaceblobstore/pipelinedata/r1/model" in note
    assert note.endswith("[Pipeline view](/airflow/dags/demo/runs/r/plugin/x)")


def test_long_lists_are_cut_with_a_count_and_the_link_survives():
    metrics = {f"metric_{i:03}": i * 1.5 for i in range(200)}
    outputs = {f"out_{i}": {"datastore": "d", "path": "p" * 60} for i in range(30)}
    note = reused_note(source(metrics=metrics, outputs=outputs), view_url="/v")
    assert len(note) <= NOTE_LIMIT
    assert "more" in note
    assert "- metric_000 = 0.0" in note
    assert note.endswith("[Pipeline view](/v)")


def test_long_values_are_shortened():
    note = reused_note(source(metrics={"text": "x" * 500}, outputs={}))
    assert "x" * 37 + "..." in note
    assert "x" * 41 not in note


def test_a_users_note_is_not_ours():
    assert not is_reuse_note("checked by Ana")
    assert not is_reuse_note(None)
