"""One survey of everything gc weighs: the default datastore, the control store and this
machine (Airflow is asked separately, ``airflow_facts``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mlpipelines.gc.control_survey import specs_location, survey_control
from mlpipelines.gc.facts import ControlFacts, MachineFacts, StoreFacts
from mlpipelines.gc.machine_survey import survey_machine
from mlpipelines.gc.store_survey import survey_store
from mlpipelines.snapshot.stat_cache import default_cache_dir
from mlpipelines.storage.deployment import Deployment
from mlpipelines.storage.location import StoreLocation


@dataclass(frozen=True)
class Survey:
    """What was found, and the datastores it was found on (to remove from)."""

    store: StoreFacts
    control: ControlFacts | None
    machine: MachineFacts
    location: StoreLocation
    specs_location: StoreLocation | None


def stat_cache_dir(deployment: Deployment) -> Path:
    """The stat caches of the deployment's tasks on this machine: $MLPIPELINES_CACHE_DIR,
    else under the deployment's Airflow home, else under this process's."""
    if os.environ.get("MLPIPELINES_CACHE_DIR") or not deployment.home:
        return Path(default_cache_dir())
    return Path(deployment.home).expanduser() / "mlpipelines" / ".cache" / "stat"


def survey(deployment: Deployment, location: StoreLocation, temp_dir: Path) -> Survey:
    """Survey the default datastore ``location``, the deployment's control store (when this
    process reaches it directly) and this machine's ``temp_dir`` and stat caches."""
    specs = specs_location(deployment)
    return Survey(
        store=survey_store(location),
        control=survey_control(specs) if specs is not None else None,
        machine=survey_machine(temp_dir, stat_cache_dir(deployment)),
        location=location,
        specs_location=specs,
    )
