"""``mlpipelines trigger`` and ``mlpipelines runs list|show|wait|logs``: pipeline runs over
Airflow's REST API."""

from __future__ import annotations

import argparse
import json
import sys
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from mlpipelines.cli.arguments import add_config, add_params, workspace_of
from mlpipelines.records.reserved import REGENERATE_PARAM


def add_commands(commands: Any) -> None:
    trigger = commands.add_parser("trigger", help="start a run of a pipeline DAG through REST")
    trigger.add_argument("dag_id")
    trigger.add_argument("--conf", default=None, help="run conf as a JSON object")
    trigger.add_argument("--wait", action="store_true", help="wait for the run and report it")
    trigger.add_argument("--timeout", type=float, default=900.0)
    add_params(trigger)
    add_config(trigger)
    trigger.set_defaults(handler=_trigger)

    runs = commands.add_parser("runs", help="list, show, watch and read pipeline runs")
    actions = runs.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="recent runs (of one experiment/DAG, or all)")
    listing.add_argument("--experiment", default=None, help="a DAG id (default: all DAGs)")
    listing.add_argument("--limit", type=int, default=20)
    add_config(listing)
    listing.set_defaults(handler=_list)
    for name, handler, text in (
        ("show", _show, "a run's steps, status, durations and metrics"),
        ("wait", _wait, "watch a run until it ends (live step table, streamed logs)"),
        ("logs", _logs, "the logs of a run's steps"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("experiment", help="the DAG id (experiment name)")
        action.add_argument("run_id")
        add_config(action)
        if name == "wait":
            action.add_argument("--timeout", type=float, default=3600.0)
        if name == "logs":
            action.add_argument("--step", default=None, help="only this step")
        action.set_defaults(handler=handler)


def _run(args: argparse.Namespace) -> Any:
    from mlpipelines.client.airflow_api import AirflowApi
    from mlpipelines.client.pipeline_run import PipelineRun

    ws = workspace_of(args.config)
    experiment = SimpleNamespace(name=args.experiment, workspace=ws)
    return PipelineRun(experiment, args.run_id, _api=AirflowApi.from_workspace(ws))


def _trigger(args: argparse.Namespace) -> int:
    from mlpipelines.cli.run_report import print_run_report
    from mlpipelines.client.airflow_api import AirflowApi, AirflowApiError
    from mlpipelines.client.dag_lookup import wait_for_known_dag

    conf = json.loads(args.conf) if args.conf else {}
    conf.update(dict(args.param))
    api = AirflowApi.from_workspace(workspace_of(args.config))
    try:
        wait_for_known_dag(api, args.dag_id, timeout=120)
        details = api.call("GET", f"/api/v2/dags/{quote(args.dag_id, safe='')}/details")
        conf = checked_conf(conf, details.get("params") or {})
        run = api.trigger(args.dag_id, conf)
    except AirflowApiError as exc:
        print(f"refused: {exc.detail}", file=sys.stderr)
        return 2
    run_id = run["dag_run_id"]
    print(f"triggered {args.dag_id} run {run_id} with conf {json.dumps(conf)}")
    print(f"UI: {api.ui_url(args.dag_id, run_id)}")
    if not args.wait:
        return 0
    final = api.wait_for_run(args.dag_id, run_id, timeout=args.timeout)
    print_run_report(api, args.dag_id, run_id)
    return 0 if final["state"] == "success" else 1


def checked_conf(conf: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """``conf`` checked against a DAG's params (as ``GET /dags/{id}/details`` gives them).

    Airflow keeps unknown conf keys and runs with the defaults, so a misspelt name is refused
    here. Our own keys (``mlpipelines_*``, ``regenerate_outputs``) pass; so does any conf of a
    DAG that declares no params at all, since such a DAG reads its conf by itself.
    """
    from mlpipelines.publishing.run_request import check_parameters

    if not params:
        return conf
    own = {k: v for k, v in conf.items() if k.startswith("mlpipelines_") or k == REGENERATE_PARAM}
    given = {k: v for k, v in conf.items() if k not in own}
    declared = []
    for name, param in params.items():
        declared.append({"name": name, "default": param.get("value"), "type": _value_type(param)})
    return {**check_parameters(given, declared), **own}


def _value_type(param: dict[str, Any]) -> str | None:
    """The one JSON type a Param's value has besides ``null`` (an optional parameter's
    schema admits both), else None."""
    kind = (param.get("schema") or {}).get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    return kind if isinstance(kind, str) else None


def _list(args: argparse.Namespace) -> int:
    from mlpipelines.cli.tables import print_table
    from mlpipelines.client.airflow_api import AirflowApi
    from mlpipelines.client.pipeline_run import run_status

    api = AirflowApi.from_workspace(workspace_of(args.config))
    dag = quote(args.experiment, safe="") if args.experiment else "~"
    runs = api.call(
        "GET",
        f"/api/v2/dags/{dag}/dagRuns",
        params={"limit": args.limit, "order_by": "-run_after"},
    )["dag_runs"]
    rows = [
        (
            run["dag_id"],
            run["dag_run_id"],
            run_status(run),
            str(run.get("start_date") or ""),
            str(run.get("end_date") or ""),
        )
        for run in runs
    ]
    print_table(("experiment", "run id", "status", "started", "ended"), rows)
    return 0


def _show(args: argparse.Namespace) -> int:
    from mlpipelines.cli.run_report import print_run_report

    run = _run(args)
    print_run_report(run._api, run.dag_id, run.id)
    return 0 if run.get_status() != "Failed" else 1


def _wait(args: argparse.Namespace) -> int:
    status = _run(args).wait_for_completion(
        show_output=True, timeout_seconds=args.timeout, raise_on_error=False
    )
    return 0 if status == "Finished" else 1


def _logs(args: argparse.Namespace) -> int:
    run = _run(args)
    steps = run.find_step_run(args.step) if args.step else run.get_steps()
    if not steps:
        print(f"no step named '{args.step}' in run {run.id}", file=sys.stderr)
        return 1
    for step in steps:
        print(f"===== {step.name} ({step.get_status()}) =====")
        print(step.get_logs() if step._ti.get("state") not in (None, "skipped") else "(no log)")
    return 0
