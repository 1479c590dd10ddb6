"""The pod or container a cluster target runs a PythonScriptStep in, built inside ``execute``.

The step operator composes these (it does not inherit from them): it hands over an envelope
(see ``mlpipelines.runtime.container_step``), runs the returned operator's ``execute`` in its
own task, and relays the result the container reports.
"""

from __future__ import annotations

import json
import os
from typing import Any

from mlpipelines.records import (
    ComputeSettings,
    DataPathInput,
    DataReferenceInput,
    DatasetInput,
    OutputReference,
    StepDefinition,
)
from mlpipelines.records.engines import STEP_IMAGE_ENV, default_step_image
from mlpipelines.runtime.container_step import ENVELOPE_ENV
from mlpipelines.storage.datastores import source_of
from mlpipelines.storage.deployment import local_datastore_root

ENTRYPOINT = ["python", "-m", "mlpipelines.runtime.container_step"]
# The step image's AIRFLOW_HOME (apache/airflow's): where a local datastore without a path of
# its own lives inside the container.
CONTAINER_AIRFLOW_HOME = "/opt/airflow"


def step_image(definition: StepDefinition) -> str:
    """The image of the step's target, else the configured default step image."""
    image = (definition.compute.image if definition.compute else None) or default_step_image()
    if not image:
        raise ValueError(
            f"step '{definition.name}': compute target '{definition.compute_target}' "
            f"names no image and {STEP_IMAGE_ENV} is not set on this worker"
        )
    return str(image)


def pod_operator_for(definition: StepDefinition, envelope: dict[str, Any], task_id: str) -> Any:
    """A KubernetesPodOperator running the envelope's step; its XCom is the step's result.

    Every key of the target's ``env_from_secrets`` Kubernetes secrets (datastore connections
    as ``AIRFLOW_CONN_*``, for instance) is in the pod's environment; the envelope holds none.
    """
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from kubernetes.client import models as k8s

    compute = definition.compute or ComputeSettings("AmlCompute")
    return KubernetesPodOperator(
        task_id=task_id,
        name=f"mlpipelines-{task_id}",
        image=step_image(definition),
        cmds=list(ENTRYPOINT),
        arguments=[],
        namespace=compute.namespace or None,
        env_vars=[k8s.V1EnvVar(name=ENVELOPE_ENV, value=json.dumps(envelope, sort_keys=True))],
        env_from=[
            k8s.V1EnvFromSource(secret_ref=k8s.V1SecretEnvSource(name=name))
            for name in compute.env_from_secrets
        ],
        labels={"mlpipelines-step": _label(definition.name)},
        do_xcom_push=True,
        deferrable=False,
        get_logs=True,
        on_finish_action="delete_pod",
    )


def docker_operator_for(definition: StepDefinition, envelope: dict[str, Any], task_id: str) -> Any:
    """A DockerOperator running the envelope's step; its XCom is every log line (the result
    is the last ``MLPIPELINES_RESULT`` line).

    The worker's environment variables named by the target's ``env_from_secrets`` go to the
    container as private environment (never rendered or logged). Local datastores and the
    step's source folder are bind-mounted, so a container on the worker's host sees them.
    """
    from airflow.providers.docker.operators.docker import DockerOperator

    compute = definition.compute or ComputeSettings("AmlCompute")
    names = list(compute.env_from_secrets)
    missing = [name for name in names if name not in os.environ]
    if missing:
        raise ValueError(
            f"step '{definition.name}': environment variables {', '.join(missing)} "
            "(env_from_secrets of its compute target) are not set on this worker"
        )
    return DockerOperator(
        task_id=task_id,
        image=step_image(definition),
        entrypoint=list(ENTRYPOINT),
        command=[],
        environment={ENVELOPE_ENV: json.dumps(envelope, sort_keys=True)},
        private_environment={name: os.environ[name] for name in names},
        docker_url=compute.docker_url or None,
        mounts=docker_mounts(definition, envelope),
        mount_tmp_dir=False,
        auto_remove="success",
        do_xcom_push=True,
        xcom_all=True,
        labels={"mlpipelines-step": _label(definition.name)},
    )


def docker_mounts(definition: StepDefinition, envelope: dict[str, Any]) -> list[Any]:
    """Bind mounts for the local datastores a step touches and its source folder (read-only).

    A datastore with a path of its own is mounted at that path; one without lives under
    the container's AIRFLOW_HOME, as the step image resolves it.
    """
    from docker.types import Mount

    specs = [definition.default_datastore]
    specs += [o.datastore for o in definition.outputs]
    specs += [i.datastore for i in definition.inputs if isinstance(i, DataReferenceInput)]
    specs += [
        store
        for i in definition.inputs
        if isinstance(i, (DataPathInput, DatasetInput))
        for store in i.stores.values()
    ]
    specs += [
        OutputReference.from_json(item["ref"]).store
        for item in envelope["inputs"]
        if item.get("ref")
    ]
    if definition.source_ref:
        specs.append(definition.source_ref.store)
    mounts: dict[str, Any] = {}
    for spec in specs:
        if not spec.is_local:
            continue
        host = str(local_datastore_root(spec))
        target = spec.path or f"{CONTAINER_AIRFLOW_HOME}/mlpipelines/{spec.name}"
        mounts.setdefault(target, Mount(target=str(target), source=host, type="bind"))
    source = source_of(definition)
    if source:
        mounts.setdefault(source, Mount(target=source, source=source, type="bind", read_only=True))
    return [mounts[target] for target in sorted(mounts)]


def _label(value: str) -> str:
    """A Kubernetes/Docker label value: at most 63 characters of [A-Za-z0-9._-]."""
    cleaned = "".join(c if c.isalnum() or c in "._-" else "-" for c in value)
    return cleaned[:63].strip("-._") or "step"
