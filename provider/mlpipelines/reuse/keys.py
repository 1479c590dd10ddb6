"""The reuse key of a step: a hash of everything that decides what the step produces.

A key holds no absolute path, mtime, host or user name, so the same code and data give the
same key in any checkout on any machine; a parameter a step does not use never enters it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

SCHEMA_VERSION = 1


def _argument(token: dict[str, Any], params: dict[str, Any]) -> str:
    if "parameter" in token:
        return str(params.get(token["parameter"]))
    if "input" in token:
        return f"<input {token['input']}>"
    if "output" in token:
        return f"<output {token['output']}>"
    return str(token["value"])


def reuse_components(
    definition: dict[str, Any],
    params: dict[str, Any],
    snapshot_digest: str | None,
    input_fingerprints: dict[str, str],
) -> dict[str, Any]:
    """The named parts of a step's key, kept so a changed key can say what changed."""
    return {
        "schema": SCHEMA_VERSION,
        "kind": definition["kind"],
        "script": definition.get("script_name"),
        "arguments": [_argument(t, params) for t in definition["arguments"]],
        "params": {k: _argument(t, params) for k, t in sorted(definition["params"].items())},
        "environment_variables": dict(
            sorted((definition.get("environment_variables") or {}).items())
        ),
        "interpreter": definition.get("interpreter"),
        "compute_target": definition["compute_target"],
        "version": definition.get("version"),
        "inputs": {
            spec["name"]: {
                "mode": spec["mode"],
                "fingerprint": input_fingerprints.get(spec["name"]),
            }
            for spec in sorted(definition["inputs"], key=lambda s: s["name"])
        },
        "outputs": sorted(_output_component(spec) for spec in definition["outputs"]),
        "snapshot": snapshot_digest,
        "engine": _engine(definition),
    }


def _output_component(spec: dict[str, Any]) -> str:
    """An output's name; for a fixed destination (an uploaded DataReference) also where it
    goes, so writing somewhere else is a different step."""
    if spec.get("kind") == "data_reference":
        return f"{spec['name']}->{spec['datastore']['name']}/{spec['path_on_datastore']}"
    return spec["name"]


def _engine(definition: dict[str, Any]) -> dict[str, Any] | None:
    """What a step runs on, where that decides its result: a Databricks step's task and
    cluster (its connection is the compute target, already a component of its own), a SQL
    step's warehouse, or a data transfer's destination."""
    if definition.get("transfer"):
        return definition["transfer"]
    compute = definition.get("compute") or {}
    if compute.get("engine") == "databricks_sql":
        return {k: compute.get(k) for k in ("engine", "warehouse_id", "catalog")}
    databricks = definition.get("databricks")
    if not databricks:
        return None
    return {k: v for k, v in databricks.items() if k != "conn_id"}


def reuse_key(components: dict[str, Any]) -> str:
    """The key: SHA-256 of the components as canonical JSON."""
    canonical = json.dumps(components, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def reads_content(definition: dict[str, Any]) -> bool:
    """Whether a step's inputs are fingerprinted by content. A copy's result depends on the
    bytes alone and hashing them would cost as much as copying, so a data transfer step keys
    on what the store says of its source (sizes and mtimes, or etags)."""
    return definition["kind"] != "data_transfer"
