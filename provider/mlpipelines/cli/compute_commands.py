"""``mlpipelines compute ...``: compute targets: list, show, create a cluster, attach a
Databricks workspace or the analytics (SQL) engine, delete.

A Databricks token is read from an environment variable (``--token-env``, default
``DATABRICKS_TOKEN``), never from the command line, where shell history and process lists
would keep it.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from mlpipelines.cli.arguments import add_config, workspace_of
from mlpipelines.cli.tables import print_table


def add_commands(commands: Any) -> None:
    compute = commands.add_parser("compute", help="compute targets (clusters, Databricks, SQL)")
    actions = compute.add_subparsers(dest="action", required=True)

    listing = actions.add_parser("list", help="every compute target (local first)")
    add_config(listing)
    listing.set_defaults(handler=_list)

    show = actions.add_parser("show", help="a target's type and status, as JSON")
    show.add_argument("name")
    add_config(show)
    show.set_defaults(handler=_show)

    create = actions.add_parser(
        "create", help="a cluster: an Airflow pool of --max-nodes slots its steps run in"
    )
    create.add_argument("name")
    create.add_argument("--max-nodes", type=int, required=True)
    create.add_argument("--min-nodes", type=int, default=0)
    create.add_argument("--vm-size", default="")
    create.add_argument(
        "--backend",
        choices=("local", "kubernetes", "docker"),
        default="local",
        help="where its steps run: worker processes, Kubernetes pods or Docker containers",
    )
    create.add_argument("--image", default=None, help="the step image (pods, containers)")
    create.add_argument("--namespace", default=None, help="the pods' Kubernetes namespace")
    create.add_argument("--docker-url", default=None, help="the Docker daemon's URL")
    create.add_argument(
        "--env-from-secret",
        action="append",
        default=[],
        metavar="NAME",
        help="a Kubernetes secret (or, for Docker, a worker variable) the steps get",
    )
    add_config(create)
    create.set_defaults(handler=_create)

    databricks = actions.add_parser(
        "attach-databricks", help="a Databricks workspace: an Airflow connection named NAME"
    )
    databricks.add_argument("name")
    databricks.add_argument("--host", required=True, help="the workspace URL")
    databricks.add_argument(
        "--token-env",
        default="DATABRICKS_TOKEN",
        help="the environment variable holding the access token (default DATABRICKS_TOKEN)",
    )
    add_config(databricks)
    databricks.set_defaults(handler=_attach_databricks)

    sql = actions.add_parser(
        "attach-sql", help="the analytics (SQL) engine: embedded DuckDB or a SQL warehouse"
    )
    sql.add_argument("name")
    sql.add_argument("--engine", choices=("duckdb", "databricks_sql"), default="duckdb")
    sql.add_argument("--databricks", default=None, help="the attached Databricks target")
    sql.add_argument("--warehouse-id", default=None)
    sql.add_argument("--catalog", default=None)
    add_config(sql)
    sql.set_defaults(handler=_attach_sql)

    delete = actions.add_parser("delete", help="remove a target and its pool or connection")
    delete.add_argument("name")
    add_config(delete)
    delete.set_defaults(handler=_delete)


def _details(target: Any) -> str:
    settings = getattr(target, "settings", {}) or {}
    if target.type == "AmlCompute":
        backend = settings.get("backend") or "local"
        image = f" image {settings['image']}" if settings.get("image") else ""
        return f"{settings.get('max_nodes')} nodes, {backend}{image}"
    if target.type == "Databricks":
        return str(settings.get("host", ""))
    if target.type == "ADLAnalytics":
        if settings.get("engine") == "databricks_sql":
            return (
                f"Databricks SQL warehouse {settings.get('warehouse_id')} "
                f"via {settings.get('databricks_compute')}"
            )
        return "embedded DuckDB"
    return "a process on the Airflow worker"


def _registered(target: Any) -> int:
    print(f"compute target {target.name}: {target.type}, {_details(target)}")
    return 0


def _list(args: argparse.Namespace) -> int:
    targets = workspace_of(args.config).compute_targets
    rows = [(name, t.type, _details(t)) for name, t in targets.items()]
    print_table(("name", "type", "details"), rows)
    return 0


def _show(args: argparse.Namespace) -> int:
    from mlpipelines.model.compute import ComputeTarget

    target = ComputeTarget(workspace_of(args.config), args.name)
    shown = {**target.serialize(), "status": target.status.serialize()}
    print(json.dumps(shown, indent=2, default=str))
    return 0


def _create(args: argparse.Namespace) -> int:
    from mlpipelines.model.compute import AmlCompute, ComputeTarget

    config = AmlCompute.provisioning_configuration(
        vm_size=args.vm_size,
        min_nodes=args.min_nodes,
        max_nodes=args.max_nodes,
        backend=args.backend,
        image=args.image,
        namespace=args.namespace,
        docker_url=args.docker_url,
        env_from_secrets=args.env_from_secret,
    )
    return _registered(ComputeTarget.create(workspace_of(args.config), args.name, config))


def _attach_databricks(args: argparse.Namespace) -> int:
    from mlpipelines.errors import ComputeTargetException
    from mlpipelines.model.compute import ComputeTarget
    from mlpipelines.model.databricks import DatabricksCompute

    token = os.environ.get(args.token_env)
    if not token:
        raise ComputeTargetException(
            f"compute target '{args.name}': set the access token in the environment variable "
            f"{args.token_env} (it is never read from the command line)"
        )
    config = DatabricksCompute.attach_configuration(host=args.host, access_token=token)
    return _registered(ComputeTarget.attach(workspace_of(args.config), args.name, config))


def _attach_sql(args: argparse.Namespace) -> int:
    from mlpipelines.model.compute import AdlaCompute, ComputeTarget

    config = AdlaCompute.attach_configuration(
        engine=args.engine,
        databricks_compute=args.databricks,
        warehouse_id=args.warehouse_id,
        catalog=args.catalog,
    )
    return _registered(ComputeTarget.attach(workspace_of(args.config), args.name, config))


def _delete(args: argparse.Namespace) -> int:
    from mlpipelines.model.compute import ComputeTarget

    ComputeTarget(workspace_of(args.config), args.name).delete()
    print(f"compute target {args.name} deleted")
    return 0
