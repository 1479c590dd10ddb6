"""The ``mlpipelines`` command: a local Airflow, and pipeline runs through Airflow's REST API."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_HOME = ".airflow"


def _parse_param(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"--param wants NAME=VALUE, got '{text}'")
    try:
        return name, json.loads(raw)
    except ValueError:
        return name, raw


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlpipelines", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    airflow = commands.add_parser("airflow", help="a local Airflow 3 (SQLite, LocalExecutor)")
    actions = airflow.add_subparsers(dest="action", required=True)
    up = actions.add_parser("up", help="start it and wait until its API answers")
    up.add_argument(
        "--home", default=DEFAULT_HOME, help=f"its AIRFLOW_HOME (default {DEFAULT_HOME})"
    )
    up.add_argument("--port", type=int, default=None, help="API/UI port (default: a free one)")
    up.add_argument("--dags", default=None, help="dags folder (default HOME/dags)")
    up.add_argument("--timeout", type=float, default=180.0)
    down = actions.add_parser("down", help="stop it")
    down.add_argument("--home", default=DEFAULT_HOME)
    status = actions.add_parser("status", help="say whether it runs, and where")
    status.add_argument("--home", default=DEFAULT_HOME)

    validate = commands.add_parser(
        "validate", help="load pipeline DAG files and list every problem of their pipelines"
    )
    validate.add_argument("files", nargs="+", type=Path, metavar="DAG_FILE")

    trigger = commands.add_parser("trigger", help="start a run of a pipeline DAG through REST")
    trigger.add_argument("dag_id")
    trigger.add_argument(
        "--config",
        default=None,
        help=f"workspace config (default: search, then {DEFAULT_HOME}/config.json)",
    )
    trigger.add_argument("--conf", default=None, help="run conf as a JSON object")
    trigger.add_argument(
        "--param",
        action="append",
        type=_parse_param,
        default=[],
        metavar="NAME=VALUE",
        help="a pipeline parameter (JSON value or text)",
    )
    trigger.add_argument("--wait", action="store_true", help="wait for the run and report it")
    trigger.add_argument("--timeout", type=float, default=900.0)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "airflow":
        return _airflow(args)
    if args.command == "validate":
        from mlpipelines.cli.validate_files import validate_files

        return validate_files(args.files)
    return _trigger(args)


def _airflow(args: argparse.Namespace) -> int:
    from mlpipelines.cli.local_airflow import LocalAirflow

    local = LocalAirflow(
        Path(args.home),
        Path(args.dags) if getattr(args, "dags", None) else None,
        getattr(args, "port", None),
    )
    if args.action == "up":
        local.up(timeout=args.timeout)
        state = local.state() or {}
        print(f"UI: {state.get('url')}")
        print(f"Stop it with: mlpipelines airflow down --home {args.home}")
        return 0
    if args.action == "down":
        local.down()
        return 0
    state = local.state()
    print(f"running at {state['url']}, dags {state['dags']}" if state else "not running")
    return 0 if state else 1


def _workspace(config: str | None) -> Any:
    from mlpipelines.errors import UserErrorException
    from mlpipelines.model.workspace import Workspace

    if config:
        return Workspace.from_config(config)
    try:
        return Workspace.from_config()
    except UserErrorException:
        return Workspace.from_config(Path(DEFAULT_HOME) / "config.json")


def _trigger(args: argparse.Namespace) -> int:
    from mlpipelines.cli.run_report import print_run_report
    from mlpipelines.client.airflow_api import AirflowApi, AirflowApiError

    conf = json.loads(args.conf) if args.conf else {}
    conf.update(dict(args.param))
    api = AirflowApi.from_workspace(_workspace(args.config))
    try:
        api.wait_for_dag(args.dag_id, timeout=120)
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


if __name__ == "__main__":
    sys.exit(main())
