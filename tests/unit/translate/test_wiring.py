"""The renderer's wiring records exactly what Airflow's own set_upstream records."""

from __future__ import annotations

import pytest
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, TaskGroup

from mlpipelines.translate.wiring import set_upstream


def _edges(dag: DAG) -> dict[str, tuple[list[str], list[str]]]:
    return {
        task_id: (sorted(task.upstream_task_ids), sorted(task.downstream_task_ids))
        for task_id, task in dag.task_dict.items()
    }


def _build(wire) -> DAG:
    """A sensor, a chain, a fan-in and a fan-out, wired one call per task as render does."""
    with DAG("wired", schedule=None) as dag:
        sensor = EmptyOperator(task_id="sensor")
        a, b, c, d, e = (EmptyOperator(task_id=name) for name in "abcde")
        wire(a, sensor)
        wire(b, [a])
        wire(c, [a])
        wire(d, [b, c])
        wire(e, [d, a])
        wire(e, [d])  # wiring twice changes nothing
    return dag


def test_same_edges_as_airflow() -> None:
    ours = _build(set_upstream)
    airflows = _build(lambda task, upstream: task.set_upstream(upstream))
    assert _edges(ours) == _edges(airflows)
    assert _edges(ours)["d"] == (["b", "c"], ["e"])
    assert _edges(ours)["a"] == (["sensor"], ["b", "c", "e"])


def test_a_task_without_a_dag_is_added_as_airflow_adds_it() -> None:
    loose = EmptyOperator(task_id="loose")
    with DAG("wired", schedule=None) as dag:
        inside = EmptyOperator(task_id="inside")
    set_upstream(loose, inside)
    assert loose.get_dag() is dag
    assert dag.task_dict["loose"] is loose
    assert loose.upstream_task_ids == {"inside"}


def test_tasks_of_two_dags_are_refused_as_airflow_refuses_them() -> None:
    with DAG("one", schedule=None):
        first = EmptyOperator(task_id="first")
    with DAG("two", schedule=None):
        second = EmptyOperator(task_id="second")
    with pytest.raises(RuntimeError, match="more than one Dag"):
        set_upstream(second, [first])
    assert not second.upstream_task_ids and not first.downstream_task_ids


def test_a_task_group_takes_airflows_way() -> None:
    with DAG("wired", schedule=None) as dag:
        start = EmptyOperator(task_id="start")
        with TaskGroup("group") as group:
            EmptyOperator(task_id="inner")
        set_upstream(group, start)
    assert dag.task_dict["group.inner"].upstream_task_ids == {"start"}
    assert start.downstream_task_ids == {"group.inner"}
