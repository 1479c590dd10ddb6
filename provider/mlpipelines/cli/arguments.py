"""Arguments several commands share: the workspace config and pipeline parameters."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

DEFAULT_HOME = ".airflow"


def parse_param(text: str) -> tuple[str, Any]:
    """``NAME=VALUE``: the value as JSON when it parses, else as text."""
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"--param wants NAME=VALUE, got '{text}'")
    try:
        return name, json.loads(raw)
    except ValueError:
        return name, raw


def add_params(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--param",
        action="append",
        type=parse_param,
        default=[],
        metavar="NAME=VALUE",
        help="a pipeline parameter (JSON value or text)",
    )


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        default=None,
        help=f"workspace config (default: search upwards, then {DEFAULT_HOME}/config.json)",
    )


def workspace_of(config: str | None) -> Any:
    """The workspace of ``--config``, else the nearest config, else the local Airflow's."""
    from mlpipelines.errors import UserErrorException
    from mlpipelines.model.workspace import Workspace

    if config:
        return Workspace.from_config(config)
    try:
        return Workspace.from_config()
    except UserErrorException:
        return Workspace.from_config(Path(DEFAULT_HOME) / "config.json")
