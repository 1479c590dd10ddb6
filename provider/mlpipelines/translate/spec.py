"""A pipeline as a versioned JSON document (what submitting and publishing store), and back.

The document is the translator's plan: DAG params, one record per task (its definition,
upstream ids, docs), and the DAG's own settings, so a spec renders to the same DAG its
pipeline would.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from mlpipelines.records import StepDefinition
from mlpipelines.records.plan import ParamSpec, PipelinePlan, TaskSpec
from mlpipelines.records.reserved import INTERNAL_FOLDER
from mlpipelines.storage.control_store import control_store
from mlpipelines.storage.deployment import Deployment

SPEC_VERSION = 1
SPECS_COLLECTION = "specs"
SPECS_BY_DIGEST_COLLECTION = "specs-by-digest"
SPECS_FOLDER = f"{INTERNAL_FOLDER}/{SPECS_COLLECTION}"
LOADER_DAG_ID = "mlpipelines_specs"
LOADER_DAG_FILE = "mlpipelines_specs.py"
# The loader DAG file as the repository ships it (dags/mlpipelines_specs.py; a test keeps
# the two equal): `mlpipelines airflow up` writes it into a dags folder that lacks it.
LOADER_DAG_SOURCE = '''\
"""Airflow DAG loader (internal to mlpipelines): every pipeline submitted with
Experiment.submit or published.

Keep this file in the dags folder; it renders each stored pipeline spec into its DAG, and
defines the task-less DAG `mlpipelines_specs` that the UI lists as mlpipelines' loader.
"""

from mlpipelines.translate.spec_loader import load_spec_dags

load_spec_dags(globals())
'''


def specs_folder(workspace: Deployment | None = None) -> Path:
    """The local folder of submitted and published specs, where the specs datastore is a
    local folder (the loader's fast path; elsewhere use ``read_spec``/``store_spec``)."""
    return (workspace or Deployment.current()).specs_root() / SPECS_FOLDER


def store_spec(spec: dict[str, Any], workspace: Deployment | None = None) -> None:
    """Keep ``spec`` as the one the loader DAG renders for its ``dag_id``."""
    control_store(workspace).write(f"{SPECS_COLLECTION}/{spec['dag_id']}.json", spec)


def read_spec(dag_id: str, workspace: Deployment | None = None) -> dict[str, Any]:
    """The stored spec of ``dag_id``; FileNotFoundError when there is none."""
    spec: dict[str, Any] = control_store(workspace).read(f"{SPECS_COLLECTION}/{dag_id}.json")
    return spec


def keep_spec_by_digest(spec: dict[str, Any], workspace: Deployment | None = None) -> str:
    """Keep ``spec`` under its digest too (so a run can later publish exactly the spec it
    ran, whatever was stored under its DAG id since); the digest."""
    digest = spec_digest(spec)
    control_store(workspace).write(f"{SPECS_BY_DIGEST_COLLECTION}/{digest}.json", spec)
    return digest


def spec_by_digest(digest: str, workspace: Deployment | None = None) -> dict[str, Any]:
    """The spec kept under ``digest``; FileNotFoundError when there is none."""
    spec: dict[str, Any] = control_store(workspace).read(
        f"{SPECS_BY_DIGEST_COLLECTION}/{digest}.json"
    )
    return spec


def plan_to_spec(plan: PipelinePlan, dag_id: str, **dag_settings: Any) -> dict[str, Any]:
    """The JSON-able spec of a planned pipeline; ``dag_settings`` must be JSON too."""
    return {
        "spec_version": SPEC_VERSION,
        "dag_id": dag_id,
        "description": plan.description,
        "reuse": plan.reuse,
        "params": [_param_json(p) for p in plan.params],
        "tasks": [
            {
                "task_id": t.task_id,
                "kind": t.kind,
                "definition": t.definition.to_json(),
                "upstream": list(t.upstream),
                "doc_md": t.doc_md,
            }
            for t in plan.tasks
        ],
        "dag_settings": dag_settings,
    }


def _param_json(param: ParamSpec) -> dict[str, Any]:
    """A Param as the spec keeps it; a description only where the pipeline gave one."""
    data = {"name": param.name, "default": param.default, "type": param.type}
    if param.description is not None:
        data["description"] = param.description
    return data


def spec_to_plan(spec: dict[str, Any]) -> PipelinePlan:
    """The plan a spec holds; refuses a spec of an unknown version."""
    if spec.get("spec_version") != SPEC_VERSION:
        raise ValueError(
            f"pipeline spec version {spec.get('spec_version')!r} is not "
            f"{SPEC_VERSION}; upgrade mlpipelines on this Airflow"
        )
    return PipelinePlan(
        params=tuple(
            ParamSpec(p["name"], p["default"], p["type"], p.get("description"))
            for p in spec["params"]
        ),
        tasks=tuple(
            TaskSpec(
                t["task_id"],
                t["kind"],
                StepDefinition.from_json(t["definition"]),
                tuple(t["upstream"]),
                t["doc_md"],
            )
            for t in spec["tasks"]
        ),
        description=spec.get("description"),
        reuse=bool(spec.get("reuse")),
    )


def spec_digest(spec: dict[str, Any]) -> str:
    """A short content hash of a spec, to tell which version Airflow has parsed."""
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]
