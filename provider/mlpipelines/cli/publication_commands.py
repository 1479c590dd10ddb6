"""``mlpipelines pipelines ...`` and ``mlpipelines endpoints ...``: published pipelines and
pipeline endpoints: list, show, submit, disable, enable, versions."""

from __future__ import annotations

import argparse
from typing import Any

from mlpipelines.cli.arguments import add_config, add_params, workspace_of
from mlpipelines.cli.tables import print_table


def add_commands(commands: Any) -> None:
    pipelines = commands.add_parser("pipelines", help="published pipelines")
    actions = pipelines.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="published pipelines (active ones by default)")
    listing.add_argument("--all", action="store_true", help="include disabled ones")
    add_config(listing)
    listing.set_defaults(handler=_list_pipelines)
    for name, text in (("disable", "pause it and refuse runs"), ("enable", "accept runs")):
        action = actions.add_parser(name, help=text)
        action.add_argument("id", help="the published pipeline's id")
        add_config(action)
        action.set_defaults(handler=_set_pipeline_status)
    submit = actions.add_parser("submit", help="run a published pipeline through its REST URL")
    submit.add_argument("id", help="the published pipeline's id")
    _add_run_arguments(submit)
    submit.set_defaults(handler=_submit_pipeline)

    endpoints = commands.add_parser("endpoints", help="pipeline endpoints and their versions")
    actions = endpoints.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="pipeline endpoints (active ones by default)")
    listing.add_argument("--all", action="store_true", help="include disabled ones")
    add_config(listing)
    listing.set_defaults(handler=_list_endpoints)
    show = actions.add_parser("show", help="an endpoint's URL and versions")
    show.add_argument("name")
    add_config(show)
    show.set_defaults(handler=_show_endpoint)
    create = actions.add_parser("create", help="a new endpoint over a published pipeline")
    create.add_argument("name")
    create.add_argument("--pipeline-id", required=True)
    create.add_argument("--description", default=None)
    add_config(create)
    create.set_defaults(handler=_create_endpoint)
    add = actions.add_parser("add", help="add a published pipeline as the next version")
    add.add_argument("name")
    add.add_argument("--pipeline-id", required=True)
    add.add_argument("--default", action="store_true", help="and make it the default")
    add_config(add)
    add.set_defaults(handler=_add_version)
    submit = actions.add_parser("submit", help="run an endpoint's version through its REST URL")
    submit.add_argument("name")
    submit.add_argument("--version", default=None, help="the version (default: the default)")
    _add_run_arguments(submit)
    submit.set_defaults(handler=_submit_endpoint)
    default = actions.add_parser("set-default", help="choose the default version")
    default.add_argument("name")
    default.add_argument("version")
    add_config(default)
    default.set_defaults(handler=_set_default)
    for name, text in (("disable", "refuse runs, hide from lists"), ("enable", "accept runs")):
        action = actions.add_parser(name, help=text)
        action.add_argument("name")
        add_config(action)
        action.set_defaults(handler=_set_endpoint_status)


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--experiment", required=True, help="the experiment the run belongs to")
    parser.add_argument("--wait", action="store_true", help="watch the run until it ends")
    parser.add_argument("--timeout", type=float, default=3600.0)
    add_params(parser)
    add_config(parser)


def _submit_pipeline(args: argparse.Namespace) -> int:
    from mlpipelines.cli.run_report import follow_run
    from mlpipelines.client.published_pipeline import PublishedPipeline

    ws = workspace_of(args.config)
    published = PublishedPipeline.get(ws, id=args.id)
    run = published.submit(ws, args.experiment, pipeline_parameters=dict(args.param))
    return follow_run(run, args.wait, args.timeout)


def _submit_endpoint(args: argparse.Namespace) -> int:
    from mlpipelines.cli.run_report import follow_run

    run = _endpoint(args).submit(
        args.experiment, pipeline_parameters=dict(args.param), pipeline_version=args.version
    )
    return follow_run(run, args.wait, args.timeout)


def _list_pipelines(args: argparse.Namespace) -> int:
    from mlpipelines.client.published_pipeline import PublishedPipeline

    found = PublishedPipeline.list(workspace_of(args.config), active_only=not args.all)
    print_table(
        ("name", "version", "status", "id", "dag id"),
        [(p.name, p.version, p.status, p.id, p.dag_id) for p in found],
    )
    return 0


def _set_pipeline_status(args: argparse.Namespace) -> int:
    from mlpipelines.client.published_pipeline import PublishedPipeline

    published = PublishedPipeline.get(workspace_of(args.config), id=args.id)
    published.disable() if args.action == "disable" else published.enable()
    print(f"{published.name} v{published.version}: {published.status}")
    return 0


def _endpoint(args: argparse.Namespace) -> Any:
    from mlpipelines.client.pipeline_endpoint import PipelineEndpoint

    return PipelineEndpoint.get(workspace_of(args.config), name=args.name)


def _list_endpoints(args: argparse.Namespace) -> int:
    from mlpipelines.client.pipeline_endpoint import PipelineEndpoint

    found = PipelineEndpoint.list(workspace_of(args.config), active_only=not args.all)
    print_table(
        ("name", "default version", "versions", "status", "id"),
        [(e.name, e.default_version, str(len(e.list_versions())), e.status, e.id) for e in found],
    )
    return 0


def _show_endpoint(args: argparse.Namespace) -> int:
    endpoint = _endpoint(args)
    print(f"{endpoint.name} ({endpoint.status}): {endpoint.endpoint}")
    default = endpoint.get_default_version()
    print_table(
        ("version", "default", "pipeline", "pipeline id"),
        [
            (
                v.version,
                "*" if v.version == default else "",
                _pipeline_label(endpoint, v),
                v.pipeline_id,
            )
            for v in endpoint.list_versions()
        ],
    )
    return 0


def _pipeline_label(endpoint: Any, version: Any) -> str:
    published = endpoint.get_pipeline(version.version)
    return f"{published.name} v{published.version} ({published.status})"


def _create_endpoint(args: argparse.Namespace) -> int:
    from mlpipelines.client.pipeline_endpoint import PipelineEndpoint
    from mlpipelines.client.published_pipeline import PublishedPipeline

    ws = workspace_of(args.config)
    published = PublishedPipeline.get(ws, id=args.pipeline_id)
    endpoint = PipelineEndpoint.publish(ws, args.name, args.description, published)
    print(f"endpoint {endpoint.name}: {endpoint.endpoint}")
    return 0


def _add_version(args: argparse.Namespace) -> int:
    from mlpipelines.client.published_pipeline import PublishedPipeline

    endpoint = _endpoint(args)
    published = PublishedPipeline.get(endpoint.workspace, id=args.pipeline_id)
    added = endpoint.add_default(published) if args.default else endpoint.add(published)
    print(f"{endpoint.name}: version {added.version} is {published.name} v{published.version}")
    return 0


def _set_default(args: argparse.Namespace) -> int:
    endpoint = _endpoint(args)
    endpoint.set_default_version(args.version)
    print(f"{endpoint.name}: default version {args.version}")
    return 0


def _set_endpoint_status(args: argparse.Namespace) -> int:
    endpoint = _endpoint(args)
    endpoint.disable() if args.action == "disable" else endpoint.enable()
    print(f"{endpoint.name}: {endpoint.status}")
    return 0
