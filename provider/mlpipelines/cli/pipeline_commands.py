"""``mlpipelines render | submit | publish``: a pipeline file to a DAG file, a run, or a
published pipeline (optionally behind an endpoint)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from mlpipelines.cli.arguments import add_config, add_params, workspace_of

DAG_FILE_TEMPLATE = '''"""Airflow DAG `{dag_id}`, rendered by `mlpipelines render` from {source}.

Change the pipeline and render again rather than editing this file: it holds the pipeline's
spec, so parsing it runs none of the pipeline's own code.
"""

import json

from mlpipelines.translate.spec_loader import render_spec

SPEC = json.loads({spec!r})
dag = render_spec(SPEC)
'''


def add_commands(commands: Any) -> None:
    render = commands.add_parser(
        "render", help="write an Airflow DAG file for the pipeline in a Python file"
    )
    render.add_argument("file", type=Path, help="a Python file that builds a Pipeline")
    render.add_argument("--pipeline", help="the Pipeline's variable name (if several)")
    render.add_argument("--dag-id", help="the DAG id (default: the file's name)")
    render.add_argument(
        "-o", "--output", type=Path, help="the DAG file to write (default: DAG_ID.py here)"
    )
    render.set_defaults(handler=_render)

    submit = commands.add_parser(
        "submit", help="submit the pipeline in a Python file as a run of an experiment"
    )
    submit.add_argument("file", type=Path)
    submit.add_argument("--pipeline", help="the Pipeline's variable name (if several)")
    submit.add_argument("--experiment", required=True, help="the experiment (DAG id)")
    submit.add_argument(
        "--regenerate-outputs", action="store_true", help="run every step, reuse nothing"
    )
    submit.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE", help="a run tag")
    submit.add_argument("--wait", action="store_true", help="watch the run until it ends")
    submit.add_argument("--timeout", type=float, default=3600.0)
    add_params(submit)
    add_config(submit)
    submit.set_defaults(handler=_submit)

    publish = commands.add_parser("publish", help="publish the pipeline in a Python file")
    publish.add_argument("file", type=Path)
    publish.add_argument("--pipeline", help="the Pipeline's variable name (if several)")
    publish.add_argument("--name", required=True)
    publish.add_argument("--version", default=None, help="default: one more than the last")
    publish.add_argument("--description", default=None)
    publish.add_argument(
        "--endpoint", default=None, help="also make it the default version of this endpoint"
    )
    add_config(publish)
    publish.set_defaults(handler=_publish)


def _render(args: argparse.Namespace) -> int:
    from mlpipelines.cli.pipeline_module import find_pipeline
    from mlpipelines.translate.spec import plan_to_spec

    pipeline = find_pipeline(args.file, args.pipeline)
    dag_id = args.dag_id or args.file.stem
    spec = plan_to_spec(pipeline.plan(dag_id), dag_id)
    target = args.output or Path(f"{dag_id}.py")
    target.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(spec, sort_keys=True)
    target.write_text(
        DAG_FILE_TEMPLATE.format(dag_id=dag_id, source=args.file.as_posix(), spec=body),
        encoding="utf-8",
    )
    print(f"wrote {target} (DAG {dag_id}, {len(spec['tasks'])} tasks)")
    return 0


def _submit(args: argparse.Namespace) -> int:
    from rich.console import Console

    from mlpipelines.cli.pipeline_module import find_pipeline
    from mlpipelines.cli.run_report import follow_run
    from mlpipelines.client.experiment import Experiment

    ws = workspace_of(args.config)
    pipeline = find_pipeline(args.file, args.pipeline)
    tags = dict(_pair(t) for t in args.tag)
    with Console(stderr=True).status(f"submitting {args.file} to experiment {args.experiment}"):
        run = Experiment(ws, args.experiment).submit(
            pipeline,
            regenerate_outputs=args.regenerate_outputs,
            pipeline_parameters=dict(args.param),
            tags=tags or None,
        )
    return follow_run(run, args.wait, args.timeout)


def _publish(args: argparse.Namespace) -> int:
    from rich.console import Console

    from mlpipelines.cli.pipeline_module import find_pipeline
    from mlpipelines.client.pipeline_endpoint import PipelineEndpoint
    from mlpipelines.client.published_pipeline import PublishedPipeline
    from mlpipelines.errors import UserErrorException

    ws = workspace_of(args.config)
    pipeline = find_pipeline(args.file, args.pipeline)
    with Console(stderr=True).status(f"publishing {args.name}"):
        published = PublishedPipeline.publish(
            pipeline, args.name, args.description, args.version, workspace=ws
        )
    print(f"published {published.name} v{published.version}: id {published.id}")
    print(f"endpoint: {published.endpoint}")
    if args.endpoint:
        try:
            endpoint = PipelineEndpoint.get(ws, name=args.endpoint)
            added = endpoint.add_default(published)
            print(f"endpoint {args.endpoint}: version {added.version} is the default")
        except UserErrorException:
            endpoint = PipelineEndpoint.publish(ws, args.endpoint, args.description, published)
            print(f"endpoint {args.endpoint} created: version 0 is the default")
        print(f"endpoint URL: {endpoint.endpoint}")
    return 0


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise SystemExit(f"--tag wants KEY=VALUE, got '{text}'")
    return key, value
