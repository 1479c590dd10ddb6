"""The datastores a step's script may open, resolved by its task and handed over through the
environment: the script never reads an Airflow connection (nor Airflow's database) itself.

What a step names: its default datastore and the workspace's default datastores, its inputs'
and outputs' datastores, and each dataset input's sources. Each is resolved as the script's
own ``open_datastore`` would resolve it, so the script reads what the task fingerprinted.
"""

from __future__ import annotations

from mlpipelines.errors import StepRunError, UserErrorException
from mlpipelines.records import (
    DataPathInput,
    DataReferenceInput,
    DatasetInput,
    DatastoreSpec,
    StepDefinition,
)
from mlpipelines.records.reserved import ENV_DATASTORES
from mlpipelines.storage.connections import open_datastore
from mlpipelines.storage.data_locations import LocatedInput
from mlpipelines.storage.deployment import DEFAULT_DATASTORES, Deployment
from mlpipelines.storage.handed_datastores import hand_datastores
from mlpipelines.storage.location import StoreLocation


def script_datastores_env(
    definition: StepDefinition, located: dict[str, LocatedInput]
) -> dict[str, str]:
    """``{MLPIPELINES_DATASTORES: document}`` for the step's script (secrets included: the
    value goes into the child's environment only, never into argv, a log or a file)."""
    return {ENV_DATASTORES: hand_datastores(step_datastores(definition, located).values())}


def step_datastores(
    definition: StepDefinition, located: dict[str, LocatedInput]
) -> dict[str, StoreLocation]:
    """Every datastore the step names, opened on this worker, by name."""
    specs = _named_specs(definition, located)
    known = {s.name: s for s in specs if s.is_local and s.path}
    workspace = Deployment.current_knowing(known)
    names = [*DEFAULT_DATASTORES, workspace.default_datastore_name, *(s.name for s in specs)]
    for spec in definition.inputs:
        if isinstance(spec, DatasetInput):
            names.extend(_source_datastores(spec))
    opened: dict[str, StoreLocation] = {}
    for item in located.values():
        if item.data is not None:
            # Already opened for staging (a parameter may name any datastore at run time).
            opened.setdefault(item.data.location.datastore, item.data.location)
    for name in dict.fromkeys(names):
        if name not in opened:
            opened[name] = _open(name, workspace)
    return opened


def _named_specs(
    definition: StepDefinition, located: dict[str, LocatedInput]
) -> list[DatastoreSpec]:
    specs = [definition.default_datastore, *(o.datastore for o in definition.outputs)]
    for spec in definition.inputs:
        if isinstance(spec, DataReferenceInput):
            specs.append(spec.datastore)
        elif isinstance(spec, DataPathInput | DatasetInput):
            specs.extend(spec.stores.values())
    specs.extend(item.ref.store for item in located.values() if item.ref is not None)
    return specs


def _source_datastores(spec: DatasetInput) -> list[str]:
    return [s["datastore"] for s in spec.dataset.get("sources", []) if "datastore" in s]


def _open(name: str, workspace: Deployment) -> StoreLocation:
    try:
        return open_datastore(name, workspace)
    except UserErrorException as exc:
        raise StepRunError(f"datastore '{name}' of this step: {exc}") from None
