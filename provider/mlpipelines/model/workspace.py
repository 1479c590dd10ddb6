"""The workspace: one Airflow deployment seen as an Azure ML workspace, with its datastores
and compute targets.

Part of the Azure-ML-named facade: its methods reach the datastore and compute-target
classes of this package (imported when called).
"""

from __future__ import annotations

from typing import Any

from mlpipelines.records.datastore import DatastoreSpec
from mlpipelines.storage.deployment import (
    CONFIG_FILE_NAMES,
    DEFAULT_DATASTORES,
    Deployment,
    airflow_home,
    local_datastore_root,
)

__all__ = [
    "CONFIG_FILE_NAMES",
    "DEFAULT_DATASTORES",
    "DatastoreSpec",
    "Workspace",
    "airflow_home",
    "local_datastore_root",
]


class Workspace(Deployment):
    """An Airflow deployment seen as an Azure ML workspace.

    ``Workspace.current()`` is the deployment the code runs in (for DAG files);
    ``Workspace.from_config()`` reads a JSON file such as the one ``mlpipelines airflow up``
    writes.
    """

    # -- datastores ---------------------------------------------------------------------------
    @property
    def datastores(self) -> dict[str, Any]:
        """Every registered datastore by name."""
        from mlpipelines.model.datastore import Datastore

        return {name: Datastore(self, name) for name in self.datastore_specs}

    def get_default_datastore(self) -> Any:
        """The datastore that outputs and artifacts go to unless a step says otherwise."""
        from mlpipelines.model.datastore import Datastore

        return Datastore(self, self.default_datastore_name)

    def set_default_datastore(self, name: str) -> None:
        """Make a registered datastore the default."""
        self.datastore_spec(name)
        self.default_datastore_name = name

    @property
    def compute_targets(self) -> dict[str, Any]:
        """Compute targets by name; ``local`` (a process on the Airflow worker) always exists."""
        from mlpipelines.model.compute import LOCAL_COMPUTE, ComputeTarget
        from mlpipelines.model.compute_registry import list_records

        targets: dict[str, Any] = {LOCAL_COMPUTE.name: LOCAL_COMPUTE}
        for record in list_records(self):
            targets[record["name"]] = ComputeTarget(self, record["name"])
        return targets

    @property
    def experiments(self) -> dict[str, Any]:
        """Experiments by name: each one a run was submitted under, by ``Experiment.submit``
        or by a REST run request's ``ExperimentName``."""
        from mlpipelines.client.experiment import Experiment
        from mlpipelines.publishing.experiments import experiment_names

        return {name: Experiment(self, name) for name in experiment_names(self)}

    def __repr__(self) -> str:
        return f"Workspace(name={self.name!r}, airflow_url={self.airflow_url!r})"
