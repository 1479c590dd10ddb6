"""The workspace: one Airflow deployment seen as an Azure ML workspace, with its datastores
and compute targets.

Part of the Azure-ML-named facade: its methods reach the datastore and compute-target
classes of this package (imported when called).
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.records.datastore import DatastoreSpec
from mlpipelines.storage.deployment import (
    CONFIG_FILE_NAMES,
    DEFAULT_DATASTORES,
    Deployment,
    airflow_home,
    local_datastore_root,
)

# What Azure named a workspace by, where a config file does not say (stable, obviously fake).
PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
PLACEHOLDER_RESOURCE_GROUP = "mlpipelines"
PLACEHOLDER_LOCATION = "local"
# Workspace() arguments that only meant something to Azure: accepted, not kept.
_AZURE_ONLY_ARGUMENTS = ("_disable_service_check", "_workspace_id", "sku", "tags", "_cloud")

__all__ = [
    "CONFIG_FILE_NAMES",
    "DEFAULT_DATASTORES",
    "DatastoreSpec",
    "Workspace",
    "airflow_home",
    "local_datastore_root",
]


@dataclasses.dataclass(init=False, repr=False, eq=False)
class Workspace(Deployment):
    """An Airflow deployment seen as an Azure ML workspace.

    ``Workspace.current()`` is the deployment the code runs in (for DAG files);
    ``Workspace.from_config()`` reads a JSON file such as the one ``mlpipelines airflow up``
    writes. ``Workspace(subscription_id, resource_group, workspace_name)`` and
    ``Workspace.get(name, ...)`` are the configured deployment (``from_config()`` where a
    config file is found, else ``current()``), under the names given.
    """

    subscription_id: str = PLACEHOLDER_SUBSCRIPTION
    resource_group: str = PLACEHOLDER_RESOURCE_GROUP
    location: str = PLACEHOLDER_LOCATION

    def __init__(
        self,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        workspace_name: str | None = None,
        auth: Any = None,
        _location: str | None = None,
        *_azure: Any,
        location: str | None = None,
        **fields: Any,
    ) -> None:
        for azure_only in _AZURE_ONLY_ARGUMENTS:
            fields.pop(azure_only, None)
        if workspace_name is not None and "name" in fields:
            raise UserErrorException("pass workspace_name= or name=, not both")
        azure_names = subscription_id, resource_group, workspace_name
        if any(v is not None for v in azure_names) and not fields:
            configured = Workspace._configured(auth)
            fields = {f.name: getattr(configured, f.name) for f in dataclasses.fields(Deployment)}
            location = location or _location or configured.location
            subscription_id = subscription_id or configured.subscription_id
            resource_group = resource_group or configured.resource_group
        if workspace_name is not None:
            fields["name"] = workspace_name
        if auth is not None:
            fields["auth"] = auth
        Deployment.__init__(self, **fields)
        self.subscription_id = subscription_id or PLACEHOLDER_SUBSCRIPTION
        self.resource_group = resource_group or PLACEHOLDER_RESOURCE_GROUP
        self.location = location or _location or PLACEHOLDER_LOCATION

    @staticmethod
    def _configured(auth: Any = None) -> Workspace:
        """The deployment this code works with: a config file found from the cwd, else the
        environment's."""
        try:
            return Workspace.from_config(auth=auth)
        except UserErrorException as exc:
            if "no workspace config found" not in str(exc):
                raise
            return Workspace.current()

    @staticmethod
    def get(
        name: str,
        auth: Any = None,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        location: str | None = None,
        **_: Any,
    ) -> Workspace:
        """``Workspace.get(name, subscription_id=..., resource_group=...)``: the configured
        deployment, under these names."""
        return Workspace(subscription_id, resource_group, name, auth, location)

    @classmethod
    def _from_dict(cls, data: dict[str, Any], config_path: str | None = None) -> Any:
        workspace = super()._from_dict(data, config_path)
        workspace.subscription_id = data.get("subscription_id") or PLACEHOLDER_SUBSCRIPTION
        workspace.resource_group = data.get("resource_group") or PLACEHOLDER_RESOURCE_GROUP
        workspace.location = data.get("location") or PLACEHOLDER_LOCATION
        if workspace.uses_rest_store:
            workspace._reach_over_rest()
        return workspace

    def _reach_over_rest(self) -> None:
        """A client with only the Airflow URL and a token keeps pipelines and records through
        the plugin (no request yet: Airflow may be down while a config is read). Its default
        datastores stay placeholders that each worker resolves as its deployment has them."""
        from mlpipelines.client.airflow_api import AirflowApi
        from mlpipelines.client.rest_control_store import RestControlStore

        self.remote_control_store = RestControlStore(AirflowApi.from_workspace(self))

    def get_details(self) -> dict[str, Any]:
        """The workspace as Azure ML describes one, plus its Airflow URL and default
        datastore (never a credential)."""
        arm_id = (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.MachineLearningServices/workspaces/{self.name}"
        )
        return {
            "id": arm_id,
            "name": self.name,
            "friendlyName": self.name,
            "location": self.location,
            "resourceGroup": self.resource_group,
            "subscriptionId": self.subscription_id,
            "type": "Microsoft.MachineLearningServices/workspaces",
            "workspaceid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.airflow_url}{arm_id}")),
            "sku": "Basic",
            "tags": {},
            "airflowUrl": self.airflow_url,
            "defaultDatastore": self.default_datastore_name,
        }

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

    def get_default_keyvault(self) -> Any:
        """The workspace's secrets (``Keyvault``), kept as Airflow connections."""
        from mlpipelines.model.keyvault import Keyvault

        return Keyvault(self)

    def _register_model_files(
        self, local_path: str | os.PathLike[str], model_name: str, run_id: str, **details: Any
    ) -> Any:
        """Register local files as the next version of ``model_name`` from the step run
        ``run_id``: what ``run.register_model`` on a client's run calls (the client hands the
        files over; the Model is this facade's)."""
        from mlpipelines.model.registered_model import Model, model_store
        from mlpipelines.storage.registered_models import register_model

        record = register_model(
            model_store(self),
            model_name,
            local_path,
            details.get("description"),
            details.get("tags"),
            details.get("properties"),
            run_id=run_id,
        )
        return Model._of(self, record)

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

    def get_default_compute_target(self, type: str = "CPU") -> Any:
        """The target steps run on when they name none: ``local``, a process on the Airflow
        worker, for "CPU" and "GPU" alike (GPUs are the worker's own)."""
        from mlpipelines.model.compute import LOCAL_COMPUTE

        if str(type).upper() not in ("CPU", "GPU"):
            raise UserErrorException(f"compute type must be 'CPU' or 'GPU', not {type!r}")
        return LOCAL_COMPUTE

    @property
    def experiments(self) -> dict[str, Any]:
        """Experiments by name: each one a run was submitted under, by ``Experiment.submit``
        or by a REST run request's ``ExperimentName``."""
        from mlpipelines.client.experiment import Experiment
        from mlpipelines.publishing.experiments import experiment_names

        return {name: Experiment(self, name) for name in experiment_names(self)}

    @property
    def datasets(self) -> dict[str, Any]:
        """The latest version of every registered dataset, by name (``Dataset.get_all``)."""
        from mlpipelines.model.dataset import Dataset

        return Dataset.get_all(self)

    @property
    def models(self) -> dict[str, Any]:
        """The latest version of every registered model, by name."""
        from mlpipelines.model.registered_model import Model

        return {m.name: m for m in Model.list(self, latest=True)}

    @property
    def environments(self) -> dict[str, Any]:
        """The registered environments, by name (``Environment.list``)."""
        from mlpipelines.model.environment import Environment

        return Environment.list(self)

    def __repr__(self) -> str:
        return f"Workspace(name={self.name!r}, airflow_url={self.airflow_url!r})"
