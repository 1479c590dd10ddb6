"""A pipeline run as the pipeline view shows it: each step's status, the run it reused,
duration, metrics, outputs and why it ran or was reused; the run's parameters and git facts.

Pure shaping of plain records (``plugin/run_reads.py`` reads them from Airflow's database), so
the rules are tested without an Airflow: which tasks are steps, where a reused step's
outputs and metrics come from (the reuse sensor's XCom, or the step's own decision).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from mlpipelines.client.pipeline_run import STEP_STATUS, run_status
from mlpipelines.records.metrics import pipeline_metrics, split_metrics
from mlpipelines.records.parallel_run import PLAN_SUFFIX, RUN_SUFFIX
from mlpipelines.records.reserved import (
    DECISION_XCOM_KEY,
    METRICS_XCOM_KEY,
    OUTPUT_XCOM_PREFIX,
    REUSE_TASK_ID,
    REUSE_XCOM_KEY,
)

# What mlpipelines itself puts in a run's conf, besides the pipeline's parameters.
OWN_CONF_PREFIX = "mlpipelines_"
GIT_CONF_KEY = "mlpipelines_git"
JOIN_TASK_ID = "done"


@dataclass
class RunRecord:
    """One DAG run as read from Airflow: plain values only.

    ``xcoms`` maps (task id, key) to a value; ``params`` holds the DAG's Param defaults.
    """

    dag_id: str
    run_id: str
    state: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    conf: dict[str, Any] = field(default_factory=dict)
    note: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    task_instances: list[dict[str, Any]] = field(default_factory=list)
    xcoms: dict[tuple[str, str], Any] = field(default_factory=dict)


def is_step(task_id: str) -> bool:
    """Whether a task is a pipeline step (not the reuse sensor, a group's join task, or a
    ParallelRunStep's planning or mapped tasks)."""
    last = task_id.split(".")[-1]
    return last not in (REUSE_TASK_ID, JOIN_TASK_ID) and not last.endswith(
        (PLAN_SUFFIX, RUN_SUFFIX)
    )


def sensor_records(record: RunRecord) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the run's reuse sensor(s) decided: (decisions by step, reused results by step)."""
    decisions: dict[str, Any] = {}
    reused: dict[str, Any] = {}
    for (task_id, key), value in record.xcoms.items():
        if key == REUSE_XCOM_KEY and not is_step(task_id) and isinstance(value, dict):
            decisions.update(value.get("decisions") or {})
            reused.update(value.get("reused") or {})
    return decisions, reused


def step_decisions(record: RunRecord) -> dict[str, dict[str, Any]]:
    """Each step's reuse decision: the step's own where it made one (it is the later and
    more precise), else the sensor's (``later`` then means: decided when the step started)."""
    decisions, reused = sensor_records(record)
    found: dict[str, dict[str, Any]] = {}
    for task_id, decision in decisions.items():
        found[task_id] = dict(decision)
        if task_id in reused:
            found[task_id].update(_source(reused[task_id], record.dag_id, task_id))
    for (task_id, key), value in record.xcoms.items():
        if key == DECISION_XCOM_KEY and isinstance(value, dict):
            found[task_id] = dict(value)
    return found


def reused_steps(record: RunRecord) -> dict[str, dict[str, Any]]:
    """The steps of the run that handed on an earlier run's result, each with that run's
    DAG id, run id, task id and key, its metrics and its outputs."""
    _, reused = sensor_records(record)
    found = {
        task_id: {**_source(hit, record.dag_id, task_id), **_results(hit)}
        for task_id, hit in reused.items()
    }
    for (task_id, key), value in record.xcoms.items():
        if key == DECISION_XCOM_KEY and isinstance(value, dict):
            if value.get("decision") == "reuse":
                found[task_id] = {
                    **_source(value, record.dag_id, task_id),
                    "metrics": record.xcoms.get((task_id, METRICS_XCOM_KEY)) or {},
                    "outputs": _own_outputs(record, task_id),
                }
            else:
                found.pop(task_id, None)
    return found


def output_references(record: RunRecord, task_id: str) -> dict[str, dict[str, Any]]:
    """A step's output references by name: its own, or those of the run it reused."""
    source = reused_steps(record).get(task_id)
    return dict(source["outputs"]) if source else _own_outputs(record, task_id)


def logged_metrics(record: RunRecord) -> dict[str, dict[str, Any]]:
    """Everything each step's script logged (its own metrics and those it logged on the
    pipeline run): its own run's, or for a reused step those of the run it reused."""
    metrics = {
        task_id: dict(value)
        for (task_id, key), value in record.xcoms.items()
        if key == METRICS_XCOM_KEY and isinstance(value, dict) and is_step(task_id)
    }
    for task_id, source in reused_steps(record).items():
        if source["metrics"]:
            metrics[task_id] = dict(source["metrics"])
    return metrics


def step_metrics(record: RunRecord) -> dict[str, dict[str, Any]]:
    """Each step's own metrics (see ``logged_metrics``)."""
    return {task_id: split_metrics(m)[0] for task_id, m in logged_metrics(record).items()}


def run_metrics(record: RunRecord) -> dict[str, Any]:
    """What the steps logged on the pipeline run itself (``run.parent.log``), folded."""
    return pipeline_metrics(logged_metrics(record).values())


def effective_params(record: RunRecord) -> dict[str, Any]:
    """The parameter values the run ran with: the DAG's defaults, overridden by its conf;
    conf keys mlpipelines adds itself are left out."""
    values = dict(record.params)
    values.update({k: v for k, v in record.conf.items() if not k.startswith(OWN_CONF_PREFIX)})
    return values


def run_summary(record: RunRecord, ui_base: str = "") -> dict[str, Any]:
    """The run as the view's JSON: its status, parameters, git facts and one row per step."""
    return {
        "dag_id": record.dag_id,
        "run_id": record.run_id,
        "state": record.state,
        "status": run_status({"state": record.state, "note": record.note}),
        "start_date": _iso(record.start_date),
        "end_date": _iso(record.end_date),
        "duration": _seconds(record.start_date, record.end_date),
        "note": record.note,
        "params": effective_params(record),
        "metrics": run_metrics(record),
        "git": record.conf.get(GIT_CONF_KEY),
        "url": ui_run_url(ui_base, record.dag_id, record.run_id),
        "steps": step_rows(record, ui_base),
    }


def step_rows(record: RunRecord, ui_base: str = "") -> list[dict[str, Any]]:
    """One row per step, in the order the sensor planned them (producers first), then by
    start time."""
    decisions = step_decisions(record)
    reused = reused_steps(record)
    metrics = step_metrics(record)
    order = {task_id: index for index, task_id in enumerate(decisions)}
    tis = [ti for ti in record.task_instances if is_step(ti["task_id"])]
    tis.sort(key=lambda ti: (order.get(ti["task_id"], len(order)), _sort_time(ti), ti["task_id"]))
    rows = []
    for ti in tis:
        task_id = ti["task_id"]
        source = reused.get(task_id)
        decision = decisions.get(task_id) or {}
        outputs = source["outputs"] if source else _own_outputs(record, task_id)
        rows.append(
            {
                "task_id": task_id,
                "state": ti.get("state"),
                "status": STEP_STATUS.get(ti.get("state"), "Running"),
                "reused": source is not None,
                "reused_from": _linked(source, ui_base) if source else None,
                "decision": decision.get("decision"),
                "explanation": decision.get("detail") or "",
                "start_date": _iso(ti.get("start_date")),
                "end_date": _iso(ti.get("end_date")),
                "duration": None if source else ti.get("duration"),
                "metrics": metrics.get(task_id, {}),
                "outputs": [_output(name, ref) for name, ref in sorted(outputs.items())],
                "url": ui_task_url(ui_base, record.dag_id, record.run_id, task_id),
            }
        )
    return rows


def ui_run_url(ui_base: str, dag_id: str, run_id: str) -> str:
    """A run's page in the Airflow UI (``ui_base``: where the UI is, "" for the same host)."""
    return f"{ui_base}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"


def ui_task_url(ui_base: str, dag_id: str, run_id: str, task_id: str) -> str:
    """A task instance's page in the Airflow UI."""
    return f"{ui_run_url(ui_base, dag_id, run_id)}/tasks/{quote(task_id, safe='')}"


def _source(hit: dict[str, Any], dag_id: str, task_id: str) -> dict[str, Any]:
    """Where a reused result came from: (DAG, run, task, key); older records name only the
    run, which is then of the same DAG and task."""
    return {
        "dag_id": hit.get("dag_id") or dag_id,
        "run_id": hit.get("run_id"),
        "task_id": hit.get("task_id") or task_id,
        "key": hit.get("key"),
    }


def _results(hit: dict[str, Any]) -> dict[str, Any]:
    return {"metrics": dict(hit.get("metrics") or {}), "outputs": dict(hit.get("outputs") or {})}


def _own_outputs(record: RunRecord, task_id: str) -> dict[str, Any]:
    return {
        key[len(OUTPUT_XCOM_PREFIX) :]: value
        for (owner, key), value in record.xcoms.items()
        if owner == task_id and key.startswith(OUTPUT_XCOM_PREFIX) and isinstance(value, dict)
    }


def _linked(source: dict[str, Any], ui_base: str) -> dict[str, Any]:
    """The source of a reused result with links to its run and its step in the UI."""
    return {
        "dag_id": source["dag_id"],
        "run_id": source["run_id"],
        "task_id": source["task_id"],
        "key": source["key"],
        "url": ui_run_url(ui_base, source["dag_id"], source["run_id"] or ""),
        "task_url": ui_task_url(
            ui_base, source["dag_id"], source["run_id"] or "", source["task_id"]
        ),
    }


def _output(name: str, ref: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "datastore": ref.get("datastore"),
        "path": ref.get("path"),
        "uri": ref.get("uri"),
        "fingerprint": ref.get("fingerprint"),
    }


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start is not None and end is not None else None


def _sort_time(ti: dict[str, Any]) -> str:
    return _iso(ti.get("start_date")) or "~"  # not started: last
