"""Names mlpipelines reserves: the parameter, task ids, XCom keys and datastore folders it
uses itself. One constant each, so no two layers can spell one differently."""

from __future__ import annotations

# The DAG Param every pipeline gets: true runs every step whatever is cached.
REGENERATE_PARAM = "regenerate_outputs"
RESERVED_PARAMETER_NAMES = frozenset({REGENERATE_PARAM})
# Where a Param's schema keeps a pipeline parameter's default, for a run given null. Not
# JSON Schema's own "default": Airflow's DAG serialization passes a schema's keys as keyword
# arguments beside its own "default" and "description", so those two names cannot be used.
PARAM_DEFAULT_KEY = "x-mlpipelines-default"

# The reuse sensor's task id, first in every DAG with reusable steps.
REUSE_TASK_ID = "mlpipelines_reuse"
RESERVED_TASK_IDS = frozenset({REUSE_TASK_ID})

# XCom keys: each output's reference, a step's metrics, the sensor's decisions, and a step's
# own decision where it made one (reused from which run, or why it ran).
OUTPUT_XCOM_PREFIX = "output_"
METRICS_XCOM_KEY = "metrics"
PIPELINE_METRICS_KEY = "mlpipelines.pipeline_metrics"
"""Inside a step's metrics: what its script logged on the pipeline run (``run.parent.log``)."""
REUSE_XCOM_KEY = "reuse"
DECISION_XCOM_KEY = "reuse_decision"

# Folders on a datastore: mlpipelines' own documents, PipelineData outputs, step artifacts.
INTERNAL_FOLDER = ".mlpipelines"
PIPELINE_DATA_FOLDER = "pipelinedata"
ARTIFACTS_FOLDER = "artifacts"

# What a step's script process finds in its environment (read by ``Run.get_context()``).
ENV_RUN_ID = "MLPIPELINES_RUN_ID"
ENV_PARENT_RUN_ID = "MLPIPELINES_PARENT_RUN_ID"
ENV_EXPERIMENT = "MLPIPELINES_EXPERIMENT"
ENV_STEP_NAME = "MLPIPELINES_STEP_NAME"
ENV_METRICS_FILE = "MLPIPELINES_METRICS_FILE"
ENV_INPUT_DATASETS = "MLPIPELINES_INPUT_DATASETS"
# The datastores the task resolved for the script (secrets included: environment only).
ENV_DATASTORES = "MLPIPELINES_DATASTORES"
# Where the script asks its task for workspace secrets (``run.get_secret``): a socket path.
ENV_SECRETS_SOCKET = "MLPIPELINES_SECRETS_SOCKET"


def output_xcom_key(output_name: str) -> str:
    """The XCom key under which a step pushes the reference to one of its outputs."""
    return OUTPUT_XCOM_PREFIX + output_name
