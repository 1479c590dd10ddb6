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
from mlpipelines.storage.deployment import Deployment

SPEC_VERSION = 1
SPECS_FOLDER = f"{INTERNAL_FOLDER}/specs"
SPECS_BY_DIGEST_FOLDER = f"{INTERNAL_FOLDER}/specs-by-digest"
LOADER_DAG_ID = "mlpipelines_specs"
LOADER_DAG_FILE = "mlpipelines_specs.py"
# The loader DAG file as the repository ships it (dags/mlpipelines_specs.py; a test keeps
# the two equal): `mlpipelines airflow up` writes it into a dags folder that lacks it.
LOADER_DAG_SOURCE = '''\
"""Airflow DAG loader: every pipeline submitted with Experiment.submit or published.

Keep this file in the dags folder; it renders each stored pipeline spec into its DAG.
"""

from mlpipelines.translate.spec_loader import load_spec_dags

load_spec_dags(globals())
'''


def specs_folder(workspace: Deployment | None = None) -> Path:
    """Where submitted and published specs are kept (the workspace's specs datastore)."""
    return (workspace or Deployment.current()).specs_root() / SPECS_FOLDER


def specs_by_digest_folder(workspace: Deployment | None = None) -> Path:
    """Where each submitted spec is also kept under its digest (the loader does not read it)."""
    return (workspace or Deployment.current()).specs_root() / SPECS_BY_DIGEST_FOLDER


def plan_to_spec(plan: PipelinePlan, dag_id: str, **dag_settings: Any) -> dict[str, Any]:
    """The JSON-able spec of a planned pipeline; ``dag_settings`` must be JSON too."""
    return {
        "spec_version": SPEC_VERSION,
        "dag_id": dag_id,
        "description": plan.description,
        "reuse": plan.reuse,
        "params": [{"name": p.name, "default": p.default, "type": p.type} for p in plan.params],
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


def spec_to_plan(spec: dict[str, Any]) -> PipelinePlan:
    """The plan a spec holds; refuses a spec of an unknown version."""
    if spec.get("spec_version") != SPEC_VERSION:
        raise ValueError(
            f"pipeline spec version {spec.get('spec_version')!r} is not "
            f"{SPEC_VERSION}; upgrade mlpipelines on this Airflow"
        )
    return PipelinePlan(
        params=tuple(ParamSpec(p["name"], p["default"], p["type"]) for p in spec["params"]),
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
