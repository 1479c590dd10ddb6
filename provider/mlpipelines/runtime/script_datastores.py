"""The datastores a step's script may open, resolved by its task and handed over through the
environment: the script never reads an Airflow connection (nor Airflow's database) itself.

What a step names: its default datastore and the workspace's default datastores, its inputs'
and outputs' datastores, and each dataset input's sources. Each is resolved as the script's
own ``open_datastore`` would resolve it in the task, so the script reads what the task
fingerprinted.
"""

from __future__ import annotations

import contextlib

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
from mlpipelines.storage.datastores import location_of
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
    """Every datastore the step names, opened on this worker, by name; and the workspace's
    default datastores where they open.

    No lookup the task would not make anyway: dataset sources are opened as the dataset
    fingerprint opened them, every other datastore as the task opens its inputs and outputs
    (a default datastore without a connection stays a local folder, with no round trip).
    """
    try:
        opened = _named_datastores(definition, located)
    except UserErrorException as exc:
        raise StepRunError(f"step '{definition.name}': {exc}") from None
    current = Deployment.current()
    for name in (*DEFAULT_DATASTORES, current.default_datastore_name):
        # Not the step's own: one that does not open stays unhanded, and a script that
        # opens it is told so.
        with contextlib.suppress(UserErrorException):
            if name not in opened:
                opened[name] = location_of(current.datastore_spec(name))
    return opened


def _named_datastores(
    definition: StepDefinition, located: dict[str, LocatedInput]
) -> dict[str, StoreLocation]:
    specs = _named_specs(definition, located)
    known = {s.name: s for s in specs if s.is_local and s.path}
    opened: dict[str, StoreLocation] = {}
    for spec in definition.inputs:
        if isinstance(spec, DatasetInput):
            workspace = Deployment.current_knowing({**known, **spec.stores})
            for name in _source_datastores(spec):
                if name not in opened:
                    opened[name] = open_datastore(name, workspace)
    for item in located.values():
        if item.data is not None:
            # Already opened for staging (a parameter may name any datastore at run time).
            opened.setdefault(item.data.location.datastore, item.data.location)
    for store in specs:
        if store.name not in opened:
            opened[store.name] = location_of(store)
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
