"""The reuse key of a step: a hash of everything that decides what the step produces.

A key holds no absolute path, mtime, host or user name, so the same code and data give the
same key in any checkout on any machine; a parameter a step does not use never enters it.
The fields every step has are keyed for all kinds; what only one kind has comes from its
entry in the step-kind registry (``StepKind.engine``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from mlpipelines.records import (
    DataReferenceOutput,
    PipelineDataInput,
    StepDefinition,
    StepInput,
    StepOutput,
)
from mlpipelines.records.step_kinds import step_kind
from mlpipelines.records.tokens import PLACEHOLDER_INPUTS, PLACEHOLDER_OUTPUTS, ParameterValues

SCHEMA_VERSION = 1


def reuse_components(
    definition: StepDefinition,
    params: Mapping[str, Any],
    snapshot_digest: str | None,
    input_fingerprints: dict[str, str],
) -> dict[str, Any]:
    """The named parts of a step's key, kept so a changed key can say what changed."""
    values = ParameterValues(params)

    def shown(token: Any) -> str:
        text: str = token.render(values, PLACEHOLDER_INPUTS, PLACEHOLDER_OUTPUTS)
        return text

    return {
        "schema": SCHEMA_VERSION,
        "kind": definition.kind,
        "script": definition.script_name,
        "arguments": [shown(t) for t in definition.arguments],
        "params": {k: shown(t) for k, t in sorted(definition.params.items())},
        "environment_variables": dict(sorted(definition.environment_variables.items())),
        "interpreter": definition.interpreter,
        "compute_target": definition.compute_target,
        "version": definition.version,
        "inputs": {
            spec.name: _input_component(spec, input_fingerprints.get(spec.name))
            for spec in sorted(definition.inputs, key=lambda s: s.name)
        },
        "outputs": sorted(_output_component(spec) for spec in definition.outputs),
        "snapshot": snapshot_digest,
        "engine": step_kind(definition.kind).engine(definition),
    }


def _input_component(spec: StepInput, fingerprint: str | None) -> dict[str, Any]:
    """An input's mode and fingerprint; for another step's output read as a tabular dataset
    also its reader (the same files read another way give other rows)."""
    component: dict[str, Any] = {"mode": spec.mode, "fingerprint": fingerprint}
    if isinstance(spec, PipelineDataInput) and spec.reader:
        component["reader"] = spec.reader
    return component


def _output_component(spec: StepOutput) -> str:
    """An output's name; for a fixed destination (an uploaded DataReference, an
    OutputFileDatasetConfig's destination) also where it goes, and the dataset it is
    registered as, so writing or registering elsewhere is a different step."""
    if isinstance(spec, DataReferenceOutput):
        return f"{spec.name}->{spec.datastore.name}/{spec.path_on_datastore}"
    name = spec.name
    if spec.destination is not None:
        name += f"->{spec.datastore.name}/{spec.destination}"
    if spec.registration is not None:
        name += f" as {spec.registration.name}"
    return name


def reuse_key(components: dict[str, Any]) -> str:
    """The key: SHA-256 of the components as canonical JSON."""
    canonical = json.dumps(components, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def reads_content(definition: StepDefinition) -> bool:
    """Whether a step's inputs are fingerprinted by content (see ``StepKind.reads_content``)."""
    return step_kind(definition.kind).reads_content
