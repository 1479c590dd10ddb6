"""A dataset input bound to a pipeline parameter: the dataset a run's value names (a dataset
document, a registered dataset, or a DataPath), read where the task runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from mlpipelines.errors import StepRunError, UserErrorException
from mlpipelines.records import DatasetInput


def resolve_dataset_input(spec: DatasetInput, params: Mapping[str, Any]) -> DatasetInput:
    """``spec`` reading the dataset its parameter has in this run (its default if none)."""
    if spec.parameter is None or params.get(spec.parameter) is None:
        return spec
    try:
        dataset = dataset_for_value(params[spec.parameter], spec.dataset, spec.stores)
    except UserErrorException as exc:
        raise StepRunError(
            f"dataset input '{spec.name}' (parameter '{spec.parameter}'): {exc}"
        ) from None
    if dataset["kind"] != spec.dataset["kind"] and spec.mode != "direct":
        raise StepRunError(
            f"dataset input '{spec.name}' (parameter '{spec.parameter}'): a {spec.mode} input "
            f"needs a file dataset, got a {dataset['kind']} one"
        )
    return replace(spec, consumption={**spec.consumption, "dataset": dataset})


def dataset_for_value(value: Any, default: dict[str, Any], stores: Any = None) -> dict[str, Any]:
    """The dataset document a parameter value names: ``{"dataset": doc}``, ``{"registered":
    {"name", "version"} or {"id"}}``, or a DataPath ``{"datastore", "path"}`` (read like
    ``default``: same kind and reader)."""
    if not isinstance(value, dict):
        raise UserErrorException(f"{value!r} names no dataset")
    if isinstance(value.get("dataset"), dict):
        return _definition(value["dataset"])
    if isinstance(value.get("registered"), dict):
        return _registered(value["registered"], stores)
    if isinstance(value.get("datastore"), str):
        source = {"datastore": value["datastore"], "path": str(value.get("path") or "")}
        dataset: dict[str, Any] = {"kind": default["kind"], "sources": [source], "steps": []}
        if default.get("reader"):
            dataset["reader"] = dict(default["reader"])
        return dataset
    raise UserErrorException(f"{value!r} names no dataset")


def _definition(document: dict[str, Any]) -> dict[str, Any]:
    if document.get("kind") not in ("tabular", "file") or "sources" not in document:
        raise UserErrorException(f"not a dataset document: {document!r}")
    return {k: v for k, v in document.items() if k != "registration"}


def _registered(reference: dict[str, Any], stores: Any) -> dict[str, Any]:
    from mlpipelines.datasets.registry import find_registration, read_registration
    from mlpipelines.storage.deployment import Deployment

    workspace = Deployment.current_knowing(stores or {})
    if reference.get("id"):
        record = find_registration(workspace, str(reference["id"]))
    else:
        record = read_registration(
            workspace, str(reference.get("name")), reference.get("version") or "latest"
        )
    return dict(record["definition"])
