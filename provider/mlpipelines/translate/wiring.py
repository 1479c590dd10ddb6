"""Task dependencies of a rendered DAG, set without Airflow's per-call DAG hash.

``task.set_upstream(others)`` first checks that every task belongs to one DAG by putting each
task's DAG in a set, and a DAG hashes every one of its task ids: wiring N steps one by one
costs O(N^2), ~30 ms of a 1,000-step parse. The renderer makes every operator inside one
``with DAG(...)``, so that check is known to pass; for plain operators of the same DAG this
records the same two id sets ``set_upstream`` records. Anything else (a TaskGroup, a mapped
operator, another DAG's task) takes Airflow's own way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import DAG, BaseOperator


def set_upstream(task: Any, upstream: Any | Sequence[Any]) -> None:
    """``task.set_upstream(upstream)``, exactly as Airflow records it."""
    others = list(upstream) if isinstance(upstream, Sequence) else [upstream]
    dag = task.get_dag() if isinstance(task, BaseOperator) else None
    if dag is None or not all(_plain_in(node, dag) for node in (task, *others)):
        task.set_upstream(upstream)
        return
    own = task.upstream_task_ids
    for other in others:
        other.downstream_task_ids.add(task.node_id)
        own.add(other.node_id)


def _plain_in(node: Any, dag: DAG) -> bool:
    """An unmapped operator already in ``dag``: nothing of Airflow's check could differ."""
    return (
        isinstance(node, BaseOperator)
        and dag.task_dict.get(node.task_id) is node
        and node.get_dag() is dag
    )
