"""Named dataset inputs of a step: what they fingerprint to (for reuse), and how the script
finds them (``Run.get_context().input_datasets``)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from mlpipelines.errors import StepRunError, UserErrorException
from mlpipelines.reuse.fingerprints import fingerprint_path

ENV_INPUT_DATASETS = "MLPIPELINES_INPUT_DATASETS"


def workspace_for(stores: dict[str, dict[str, Any]] | None) -> Any:
    """The deployment this task runs in, knowing the local folders the pipeline registered
    (a dataset names its datastores; only registered local folders need their path)."""
    from mlpipelines.model.workspace import DatastoreSpec, Workspace

    ws = Workspace.current()
    for name, spec in (stores or {}).items():
        ws.datastore_specs[name] = DatastoreSpec(name, spec.get("kind", "local"), spec.get("path"))
    return ws


def dataset_fingerprint(spec: dict[str, Any]) -> str:
    """The dataset's definition plus each file it selects: a content hash for local files,
    the store's etag (or size and mtime) for remote ones. No files is a clear error."""
    from mlpipelines.datasets.sources import resolve_files

    name, definition = spec["name"], spec["consumption"]["dataset"]
    try:
        files = resolve_files(definition, workspace_for(spec.get("stores")))
    except UserErrorException as exc:
        raise StepRunError(f"dataset input '{name}': {exc}") from None
    digest = hashlib.sha256(json.dumps(definition, sort_keys=True, default=str).encode())
    for file in files:
        digest.update(f"\0{file.label}\0{_file_fingerprint(file)}".encode())
    return f"dataset:{digest.hexdigest()}"


def _file_fingerprint(file: Any) -> str:
    if file.local:
        return fingerprint_path(Path(file.path))
    info = file.fs.info(file.path)
    tag = info.get("etag") or info.get("ETag") or info.get("md5")
    return (
        str(tag) if tag else f"{info.get('size')}:{info.get('last_modified') or info.get('mtime')}"
    )


def materialize(spec: dict[str, Any], work_dir: Path) -> tuple[str, dict[str, Any]]:
    """The value the step's arguments see for a dataset input (a local folder, or the input's
    name in direct mode) and the record ``input_datasets`` rebuilds it from."""
    from mlpipelines.datasets.step_inputs import materialize_input

    consumption = spec["consumption"]
    stores = spec.get("stores") or {}
    if spec["mode"] == "direct":
        return spec["name"], {"mode": "direct", "dataset": consumption["dataset"], "stores": stores}
    try:
        workspace = workspace_for(stores)
        folder = materialize_input(consumption, str(work_dir / "datasets"), workspace)
    except UserErrorException as exc:
        raise StepRunError(f"dataset input '{spec['name']}': {exc}") from None
    return str(folder), {"mode": spec["mode"], "path": str(folder)}


def write_input_datasets(records: dict[str, dict[str, Any]], work_dir: Path) -> Path:
    """The file a step's script reads its named dataset inputs from."""
    path = work_dir / "input_datasets.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def read_input_datasets(path: str | None) -> dict[str, Any]:
    """Named inputs by name: a TabularDataset/FileDataset (direct) or a local folder path."""
    if not path:
        return {}
    from mlpipelines.model.dataset import Dataset

    records = json.loads(Path(path).read_text(encoding="utf-8"))
    return {
        name: (
            Dataset.from_dict(r["dataset"], workspace_for(r.get("stores")))
            if r["mode"] == "direct"
            else r["path"]
        )
        for name, r in records.items()
    }
