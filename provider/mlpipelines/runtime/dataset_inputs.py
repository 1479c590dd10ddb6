"""Named dataset inputs of a step: what the script is given for each, and the file
``Run.get_context().input_datasets`` reads them from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlpipelines.errors import StepRunError, UserErrorException
from mlpipelines.records import (
    LOCAL_KIND,
    DatasetInput,
    DatastoreSpec,
    OutputReference,
    PipelineDataInput,
)
from mlpipelines.storage.deployment import Deployment


def materialize(spec: DatasetInput, work_dir: Path) -> tuple[str, dict[str, Any]]:
    """The value the step's arguments see for a dataset input (a local folder, or the input's
    name in direct mode) and the record ``input_datasets`` rebuilds it from."""
    from mlpipelines.datasets.step_inputs import materialize_input

    if spec.mode == "direct":
        stores = script_stores(spec.dataset, spec.stores)
        return spec.name, {"mode": "direct", "dataset": spec.dataset, "stores": stores}
    try:
        workspace = Deployment.current_knowing(spec.stores)
        folder = materialize_input(spec.consumption, str(work_dir / "datasets"), workspace)
    except UserErrorException as exc:
        raise StepRunError(f"dataset input '{spec.name}': {exc}") from None
    return str(folder), {"mode": spec.mode, "path": str(folder)}


def output_as_dataset(spec: PipelineDataInput, ref: OutputReference) -> tuple[str, dict[str, Any]]:
    """Another step's output read as a tabular dataset (``parse_delimited_files``,
    ``read_delimited_files``): the script gets the input's name and ``input_datasets[name]``."""
    reader = dict(spec.reader or {})
    steps = reader.pop("steps", [])  # keep_columns() and the like on the tabular input
    dataset = {
        "kind": "tabular",
        "sources": [{"datastore": ref.datastore, "path": ref.path}],
        "reader": reader,
        "steps": steps,
    }
    stores = script_stores(dataset, {ref.store.name: ref.store} if ref.store.is_local else {})
    return spec.name, {"mode": "direct", "dataset": dataset, "stores": stores}


def script_stores(
    dataset: dict[str, Any], stores: dict[str, DatastoreSpec]
) -> dict[str, dict[str, Any]]:
    """The local folders a direct dataset's script reads, each with its path: a default
    datastore (no path) would otherwise send the script to Airflow's connections, and a
    step's script never imports Airflow."""
    from mlpipelines.storage.connections import open_datastore

    known = Deployment.current_knowing(stores)
    found = {name: spec.to_dict() for name, spec in stores.items()}
    for name in {s["datastore"] for s in dataset.get("sources", []) if "datastore" in s}:
        try:
            location = open_datastore(name, known)
        except UserErrorException:
            continue  # the script says which datastore it cannot read
        if location.is_local:
            found[name] = DatastoreSpec(name, LOCAL_KIND, location.root).to_dict()
    return found


def write_input_datasets(records: dict[str, dict[str, Any]], work_dir: Path) -> Path:
    """The file a step's script reads its named dataset inputs from."""
    path = work_dir / "input_datasets.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path
