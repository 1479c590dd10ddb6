"""Azure-only services import from their old paths and are refused on use with one clear
error naming the Airflow way, written as the Azure ML samples use them."""

from __future__ import annotations

import importlib

import pytest

from mlpipelines.azureml.core import Experiment, Workspace
from mlpipelines.azureml.core.compute import (
    AksCompute,
    BatchCompute,
    ComputeInstance,
    ComputeTarget,
    DataFactoryCompute,
    HDInsightCompute,
    KubernetesCompute,
    KustoCompute,
    RemoteCompute,
    SynapseCompute,
)
from mlpipelines.azureml.exceptions import UserErrorException
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import (
    AutoMLStep,
    AzureBatchStep,
    DataTransferStep,
    EstimatorStep,
    HyperDriveStep,
    KustoStep,
    MpiStep,
    PythonScriptStep,
    SynapseSparkStep,
)
from mlpipelines.azureml.train.automl import AutoMLConfig
from mlpipelines.azureml.train.dnn import TensorFlow
from mlpipelines.azureml.train.hyperdrive import (
    BanditPolicy,
    HyperDriveConfig,
    PrimaryMetricGoal,
    RandomParameterSampling,
    choice,
    loguniform,
)
from mlpipelines.errors import AzureOnlyServiceError


def test_a_hyperdrive_notebook_builds_its_configs_and_is_stopped_at_the_step(tmp_path):
    (tmp_path / "tf_mnist.py").write_text("print('train')\n")
    data_folder = PipelineData("mnist_data")
    est = TensorFlow(
        source_directory=str(tmp_path),
        compute_target="gpu-cluster",
        entry_script="tf_mnist.py",
        use_gpu=True,
        framework_version="1.13",
    )
    ps = RandomParameterSampling(
        {"--batch-size": choice(25, 50, 100), "--learning-rate": loguniform(-6, -1)}
    )
    early_termination_policy = BanditPolicy(evaluation_interval=2, slack_factor=0.1)
    hd_config = HyperDriveConfig(
        estimator=est,
        hyperparameter_sampling=ps,
        policy=early_termination_policy,
        primary_metric_name="validation_acc",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=4,
        max_concurrent_runs=4,
    )
    assert hd_config.max_total_runs == 4
    assert hd_config.primary_metric_goal is PrimaryMetricGoal.MAXIMIZE
    assert ps.args[0]["--batch-size"].arguments == (25, 50, 100)

    with pytest.raises(AzureOnlyServiceError) as err:
        HyperDriveStep(
            name="hd_step01",
            hyperdrive_config=hd_config,
            estimator_entry_script_arguments=["--data-folder", data_folder],
            inputs=[data_folder],
        )
    assert isinstance(err.value, UserErrorException)
    message = str(err.value)
    assert message.startswith(
        "HyperDriveStep needs Azure ML HyperDrive, which does not run on Airflow; "
        "on Airflow use one PythonScriptStep per trial"
    )
    assert "dynamic task mapping" in message and "Optuna" in message

    # The notebook's other cells still run.
    step = PythonScriptStep(name="train", script_name="tf_mnist.py", source_directory=tmp_path)
    assert Pipeline(workspace=Workspace.current(), steps=[step]).validate() == []


def test_submitting_a_config_is_refused_before_anything_is_sent(tmp_path):
    ws = Workspace(name="refuse", airflow_url="http://127.0.0.1:9", home=str(tmp_path))
    automl_config = AutoMLConfig(task="classification", primary_metric="AUC_weighted")
    with pytest.raises(
        AzureOnlyServiceError, match=r"Experiment.submit\(AutoMLConfig\) needs Azure"
    ) as e:
        Experiment(ws, "automl").submit(automl_config)
    assert "FLAML or auto-sklearn inside a PythonScriptStep" in str(e.value)
    est = TensorFlow(source_directory=".", entry_script="train.py")
    with pytest.raises(AzureOnlyServiceError, match="a PythonScriptStep with the estimator's"):
        Experiment(ws, "tf").submit(est)


@pytest.mark.parametrize(
    ("step", "alternative"),
    [
        (AutoMLStep, "FLAML"),
        (HyperDriveStep, "dynamic task mapping"),
        (KustoStep, "AzureDataExplorerQueryOperator"),
        (AzureBatchStep, "backend='kubernetes' or 'docker'"),
        (EstimatorStep, "PythonScriptStep"),
        (MpiStep, "torchrun"),
        (SynapseSparkStep, "DatabricksStep"),
    ],
)
def test_each_azure_only_step_names_its_airflow_alternative(step, alternative):
    with pytest.raises(AzureOnlyServiceError) as err:
        step(name="s", inputs=[], outputs=[])
    assert str(err.value).startswith(f"{step.__name__} needs ")
    assert alternative in str(err.value)


@pytest.mark.parametrize(
    ("compute", "service"),
    [
        (KustoCompute, "Kusto"),
        (BatchCompute, "Azure Batch"),
        (DataFactoryCompute, "Azure Data Factory"),
        (AksCompute, "Azure Kubernetes Service"),
        (ComputeInstance, "compute instance"),
        (SynapseCompute, "Synapse"),
        (HDInsightCompute, "HDInsight"),
        (RemoteCompute, "attached to an Azure ML workspace"),
        (KubernetesCompute, "attached to an Azure ML workspace"),
    ],
)
def test_azure_only_compute_builds_its_configuration_and_refuses_to_attach(compute, service):
    ws = Workspace.current()
    config = compute.attach_configuration(resource_group="rg", resource_id="id")
    assert config.resource_group == "rg"
    with pytest.raises(AzureOnlyServiceError, match=f"compute target 'cmp'.*{service}"):
        ComputeTarget.attach(ws, "cmp", config)
    with pytest.raises(AzureOnlyServiceError, match="provisioning_configuration"):
        ComputeTarget.create(ws, "cmp", compute.provisioning_configuration(vm_size="x"))
    with pytest.raises(AzureOnlyServiceError, match=f"{compute.__name__} needs"):
        compute(ws, "cmp")
    assert "cmp" not in ws.compute_targets


def test_data_factory_users_are_pointed_to_the_data_transfer_step():
    with pytest.raises(AzureOnlyServiceError, match="use a DataTransferStep"):
        DataFactoryCompute(Workspace.current(), "adf")
    assert DataTransferStep.__module__ == "mlpipelines.model.transfer_step"


def test_open_datasets_import_and_are_refused_on_use():
    from mlpipelines.azureml.opendatasets import Diabetes, NycTlcGreen

    with pytest.raises(AzureOnlyServiceError, match="Open Dataset NycTlcGreen needs Azure Open"):
        NycTlcGreen(start_date="2016-01-01", end_date="2016-02-01")
    with pytest.raises(AzureOnlyServiceError) as err:
        Diabetes.get_tabular_dataset()
    assert "Dataset.Tabular.from_delimited_files" in str(err.value)
    assert "Diabetes.get_tabular_dataset" in str(err.value)
    with pytest.raises(ImportError):
        exec("from mlpipelines.azureml.opendatasets import not_a_dataset", {})


OLD_NAMES = [
    ("mlpipelines.azureml.train.automl", ["AutoMLConfig"]),
    ("mlpipelines.azureml.train.automl.run", ["AutoMLRun"]),
    ("mlpipelines.azureml.pipeline.steps.automl_step", ["AutoMLStep", "AutoMLStepRun"]),
    ("mlpipelines.azureml.train.hyperdrive", ["HyperDriveConfig", "GridParameterSampling",
     "BayesianParameterSampling", "MedianStoppingPolicy", "TruncationSelectionPolicy",
     "NoTerminationPolicy", "HyperDriveRun", "uniform", "quniform", "randint", "normal"]),
    ("mlpipelines.azureml.train.hyperdrive.parameter_expressions", ["choice", "uniform"]),
    ("mlpipelines.azureml.train.estimator", ["Estimator"]),
    ("mlpipelines.azureml.train.dnn", ["PyTorch", "TensorFlow", "Chainer", "Mpi", "Gloo",
     "Nccl", "ParameterServer"]),
    ("mlpipelines.azureml.train.sklearn", ["SKLearn"]),
]  # fmt: skip


@pytest.mark.parametrize(("module", "names"), OLD_NAMES, ids=[m for m, _ in OLD_NAMES])
def test_old_paths_import(module, names):
    imported = importlib.import_module(module)
    for name in names:
        assert name in imported.__all__
        assert getattr(imported, name) is not None


def test_runs_of_azure_only_services_are_refused():
    from mlpipelines.azureml.pipeline.steps.automl_step import AutoMLStepRun
    from mlpipelines.azureml.train.hyperdrive import HyperDriveRun

    with pytest.raises(AzureOnlyServiceError, match="AutoMLStepRun needs Azure automated ML"):
        AutoMLStepRun(step_run=None)
    with pytest.raises(AzureOnlyServiceError, match="HyperDriveRun needs Azure ML HyperDrive"):
        HyperDriveRun(experiment=None, run_id="x")


def test_a_deploy_cell_builds_its_configs_and_is_stopped_at_deploy(tmp_path):
    from mlpipelines.azureml.core import Environment, Model
    from mlpipelines.azureml.core.model import InferenceConfig
    from mlpipelines.azureml.core.webservice import AciWebservice, Webservice

    ws = Workspace(home=str(tmp_path / "home"))
    (tmp_path / "model.pkl").write_bytes(b"model")
    model = Model.register(workspace=ws, model_path=str(tmp_path / "model.pkl"), model_name="m")
    env = Environment("sklearn-env")
    inference_config = InferenceConfig(entry_script="score.py", environment=env)
    aci_config = AciWebservice.deploy_configuration(
        cpu_cores=1, memory_gb=1, tags={"area": "diabetes"}, description="Predict diabetes"
    )
    assert (aci_config.cpu_cores, aci_config.memory_gb) == (1, 1)
    assert inference_config.entry_script == "score.py"
    with pytest.raises(
        AzureOnlyServiceError,
        match=r"Model.deploy\('diabetes-svc'\) needs Azure ML model deployment .* on Airflow "
        "use your own model serving",
    ):
        Model.deploy(ws, "diabetes-svc", [model], inference_config, aci_config)
    with pytest.raises(AzureOnlyServiceError, match="Webservice needs Azure ML model deployment"):
        Webservice(ws, "diabetes-svc")
    with pytest.raises(AzureOnlyServiceError, match=r"Model\.package needs"):
        Model.package(ws, [model], inference_config)
