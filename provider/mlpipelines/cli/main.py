"""The ``mlpipelines`` command: a local Airflow; pipelines validated, rendered, submitted and
published; runs, published pipelines, endpoints and compute targets over Airflow's REST API."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlpipelines.cli import (
    compute_commands,
    gc_command,
    pipeline_commands,
    publication_commands,
    run_commands,
)
from mlpipelines.cli.arguments import DEFAULT_HOME


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
    status = actions.add_parser(
        "status",
        help="each component's process and health; exit 0 healthy, 1 not running, 3 a part down",
    )
    status.add_argument("--home", default=DEFAULT_HOME)
    airflow.set_defaults(handler=_airflow)

    validate = commands.add_parser(
        "validate", help="load pipeline DAG files and list every problem of their pipelines"
    )
    validate.add_argument("files", nargs="+", type=Path, metavar="DAG_FILE")
    validate.set_defaults(handler=_validate)

    pipeline_commands.add_commands(commands)
    run_commands.add_commands(commands)
    publication_commands.add_commands(commands)
    compute_commands.add_commands(commands)
    gc_command.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    from mlpipelines.errors import MlPipelinesError

    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (MlPipelinesError, TimeoutError) as exc:
        # Our errors are written for the user (a PipelineValidationError lists every problem);
        # a traceback would only bury the message.
        print(f"mlpipelines {args.command}: {exc}", file=sys.stderr)
        return 2


def _validate(args: argparse.Namespace) -> int:
    from mlpipelines.cli.validate_files import validate_files

    return validate_files(args.files)


def _airflow(args: argparse.Namespace) -> int:
    from mlpipelines.cli.local_airflow import LocalAirflow

    local = LocalAirflow(
        Path(args.home),
        Path(args.dags) if getattr(args, "dags", None) else None,
        getattr(args, "port", None),
    )
    if args.action == "up":
        from mlpipelines.cli.datastore_connections import add_default_datastore_connections

        config = local.up(timeout=args.timeout)
        created = add_default_datastore_connections(config)
        if created:
            print(f"Default datastores listed as Airflow connections: {', '.join(created)}")
        state = local.state() or {}
        print(f"UI: {state.get('url')}")
        print(f"Stop it with: mlpipelines airflow down --home {args.home}")
        return 0
    if args.action == "down":
        local.down()
        return 0
    health = local.health()
    print("\n".join(health.lines()))
    return health.exit_code()


if __name__ == "__main__":
    sys.exit(main())
