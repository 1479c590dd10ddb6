"""Pod and container backends without a cluster or a Docker engine: the pod spec and the
container a step's operator would start, and the plan that carries the target's settings."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from mlpipelines import (
    Datastore,
    Pipeline,
    PipelineData,
    PipelineValidationError,
    PythonScriptStep,
    Workspace,
)
from mlpipelines.azureml.core.compute import AmlCompute, ComputeTarget
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.model.workspace import DatastoreSpec, local_datastore_root
from mlpipelines.operators.step_containers import docker_operator_for, pod_operator_for
from mlpipelines.records import OutputReference, StepDefinition
from mlpipelines.runtime.container_step import ENVELOPE_ENV, build_envelope
from mlpipelines.runtime.step_context import StepContext

ENTRYPOINT = ["python", "-m", "mlpipelines.runtime.container_step"]


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(home=str(tmp_path / "home"))
    # "lake": a remote datastore (only registered: nothing here reaches it)
    Datastore.register_s3_bucket(workspace, "lake", "lake", skip_validation=True)
    return workspace


def _pipeline(ws, tmp_path, target: str, store: Datastore | None = None) -> Pipeline:
    """prep -> train on ``target``; data and the default datastore on ``store`` (default:
    the workspace's local one; a pod's steps need a remote one, an Airflow connection)."""
    store = store or ws.get_default_datastore()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "run.py").write_text("print('hi')")
    data = PipelineData("prepared", datastore=store)
    prep = PythonScriptStep(
        name="prep",
        script_name="run.py",
        source_directory=str(tmp_path / "src"),
        arguments=["--out", data],
        outputs=[data],
        compute_target=ComputeTarget(ws, target),
    )
    train = PythonScriptStep(
        name="train",
        script_name="run.py",
        source_directory=str(tmp_path / "src"),
        arguments=["--data", data],
        inputs=[data],
        compute_target=ComputeTarget(ws, target),
    )
    return Pipeline(ws, [prep, train], default_datastore=store)


def _train(
    ws, tmp_path, target: str, store: Datastore | None = None
) -> tuple[StepDefinition, dict]:
    plan = plan_pipeline(_pipeline(ws, tmp_path, target, store))
    definition = {t.task_id: t.definition for t in plan.tasks}["train"]
    ref = OutputReference.from_json(
        {"datastore": "workspaceblobstore", "path": "pipelinedata/d/r/prep/prepared"}
    )
    ctx = StepContext("d", "r1", "train", {"lr": 0.1}, lambda producer, name: ref, try_number=2)
    return definition, build_envelope(definition, ctx, {("prep", "prepared"): ref})


def _context() -> dict:
    ti = SimpleNamespace(dag_id="d", task_id="train", try_number=2, map_index=-1, run_id="r1")
    return {"ti": ti, "run_id": "r1", "dag": SimpleNamespace(dag_id="d")}


def test_kubernetes_cluster_steps_render_in_its_pool_with_its_settings(ws, tmp_path):
    config = AmlCompute.provisioning_configuration(
        max_nodes=3,
        backend="kubernetes",
        image="registry.example/mlpipelines-step:1.0",
        namespace="ml",
        env_from_secrets=["datastore-conns"],
    )
    ComputeTarget.create(ws, "k8s", config)
    dag = _pipeline(ws, tmp_path, "k8s", Datastore(ws, "lake")).to_dag("on_k8s")
    steps = {t.task_id: t for t in dag.tasks if t.task_id in {"prep", "train"}}
    assert {tid: t.pool for tid, t in steps.items()} == {"prep": "k8s", "train": "k8s"}
    assert steps["train"].step.to_json()["compute"] == {
        "type": "AmlCompute",
        "pool": "k8s",
        "backend": "kubernetes",
        "image": "registry.example/mlpipelines-step:1.0",
        "namespace": "ml",
        "docker_url": None,
        "env_from_secrets": ["datastore-conns"],
    }


def test_pod_steps_on_local_folder_datastores_are_refused_at_definition(ws, tmp_path):
    config = AmlCompute.provisioning_configuration(backend="kubernetes", image="step:1")
    ComputeTarget.create(ws, "k8s", config)
    with pytest.raises(PipelineValidationError) as refused:
        _pipeline(ws, tmp_path, "k8s").validate()
    message = str(refused.value)
    assert "(2 problems)" in message
    for step in ("prep", "train"):
        assert (
            f"- step '{step}': compute target 'k8s' runs steps in Kubernetes pods, which share "
            "no disk with the worker, but the step uses the local-folder datastore(s) "
            "workspaceblobstore; make the pipeline's default datastore an Azure Blob or S3"
        ) in message


def test_a_local_backend_cluster_plans_no_container_settings(ws, tmp_path):
    ComputeTarget.create(ws, "cpu", AmlCompute.provisioning_configuration(max_nodes=2))
    definition, _ = _train(ws, tmp_path, "cpu")
    assert definition.to_json()["compute"] == {
        "type": "AmlCompute",
        "pool": "cpu",
        "backend": "local",
    }


def test_the_pod_runs_the_entrypoint_with_the_envelope_and_the_target_secrets(ws, tmp_path):
    config = AmlCompute.provisioning_configuration(
        backend="kubernetes",
        image="registry.example/step:1",
        namespace="ml",
        env_from_secrets=["blob-conn", "s3-conn"],
    )
    ComputeTarget.create(ws, "k8s", config)
    definition, envelope = _train(ws, tmp_path, "k8s", Datastore(ws, "lake"))
    operator = pod_operator_for(definition, envelope, "train")
    # dry_run: everything but asking a cluster whether the worker runs inside it.
    pod = operator.build_pod_request_obj(_context(), dry_run=True)
    assert pod.metadata.namespace == "ml"
    container, sidecar = pod.spec.containers
    assert container.name == "base" and sidecar.name == "airflow-xcom-sidecar"
    assert "/airflow/xcom" in [m.mount_path for m in container.volume_mounts]
    assert container.image == "registry.example/step:1"
    assert container.command == ENTRYPOINT
    assert container.args == []
    env = {e.name: e.value for e in container.env}
    assert set(env) == {ENVELOPE_ENV}
    sent = json.loads(env[ENVELOPE_ENV])
    assert sent == envelope
    assert sent["run"] == {"dag_id": "d", "run_id": "r1", "task_id": "train", "try_number": 2}
    assert sent["params"] == {"lr": 0.1}
    assert sent["inputs"] == [
        {
            "producer": "prep",
            "output": "prepared",
            "ref": {
                "datastore": "workspaceblobstore",
                "path": "pipelinedata/d/r/prep/prepared",
                "uri": "",
                "store": {"name": "workspaceblobstore", "kind": "local", "path": None},
                "fingerprint": None,
            },
        }
    ]
    assert sent["definition"]["script_name"] == "run.py"
    assert [e.secret_ref.name for e in container.env_from] == ["blob-conn", "s3-conn"]
    labels = pod.metadata.labels
    assert labels["dag_id"] == "d" and labels["task_id"] == "train"
    assert labels["mlpipelines-step"] == "train"
    assert operator.do_xcom_push is True


def test_the_envelope_holds_no_secret(ws, tmp_path, monkeypatch):
    monkeypatch.setenv("BLOB_KEY", "s3cr3t-value")
    config = AmlCompute.provisioning_configuration(
        backend="docker", image="step:1", env_from_secrets=["BLOB_KEY"]
    )
    ComputeTarget.create(ws, "box", config)
    definition, envelope = _train(ws, tmp_path, "box")
    operator = docker_operator_for(definition, envelope, "train")
    assert "s3cr3t-value" not in json.dumps(envelope)
    assert "s3cr3t-value" not in json.dumps(operator.environment)
    assert operator._private_environment == {"BLOB_KEY": "s3cr3t-value"}


def test_the_container_runs_the_entrypoint_with_mounts_and_passed_through_variables(
    ws, tmp_path, monkeypatch
):
    monkeypatch.setenv("AIRFLOW_CONN_BLOB", "wasb://user:key@")
    config = AmlCompute.provisioning_configuration(
        backend="docker",
        image="step:1",
        docker_url="tcp://docker:2376",
        env_from_secrets=["AIRFLOW_CONN_BLOB"],
    )
    ComputeTarget.create(ws, "box", config)
    definition, envelope = _train(ws, tmp_path, "box")
    operator = docker_operator_for(definition, envelope, "train")
    assert operator.image == "step:1"
    assert operator.entrypoint == ENTRYPOINT
    assert operator.command == []
    assert set(operator.environment) == {ENVELOPE_ENV}
    assert json.loads(operator.environment[ENVELOPE_ENV]) == envelope
    assert operator._private_environment == {"AIRFLOW_CONN_BLOB": "wasb://user:key@"}
    assert operator.docker_url == "tcp://docker:2376"
    assert operator.auto_remove == "success"
    assert operator.do_xcom_push is True and operator.xcom_all is True
    assert operator.mount_tmp_dir is False
    # The worker's own folder for the datastore (under its AIRFLOW_HOME), as the task sees it.
    store_root = str(local_datastore_root(DatastoreSpec("workspaceblobstore", "local", None)))
    mounts = sorted((m["Target"], m["Source"], m["ReadOnly"]) for m in operator.mounts)
    source = str(tmp_path / "src")
    assert mounts == sorted(
        [
            ("/opt/airflow/mlpipelines/workspaceblobstore", store_root, False),
            (source, source, True),
        ]
    )


def test_a_container_step_without_image_or_variable_fails_clearly(ws, tmp_path, monkeypatch):
    monkeypatch.setenv("MLPIPELINES_STEP_IMAGE", "default/step:2")
    config = AmlCompute.provisioning_configuration(backend="docker", env_from_secrets=["NOPE"])
    ComputeTarget.create(ws, "box", config)
    monkeypatch.delenv("NOPE", raising=False)
    definition, envelope = _train(ws, tmp_path, "box")
    with pytest.raises(ValueError, match="NOPE"):
        docker_operator_for(definition, envelope, "train")
    pod = pod_operator_for(definition, envelope, "train")
    assert pod.image == "default/step:2"
    monkeypatch.delenv("MLPIPELINES_STEP_IMAGE")
    with pytest.raises(ValueError, match="MLPIPELINES_STEP_IMAGE is not set"):
        pod_operator_for(definition, envelope, "train")
