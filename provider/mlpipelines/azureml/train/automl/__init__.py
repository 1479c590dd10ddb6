"""``azureml.train.automl``: AutoML is Azure-only; its configuration may be built, submitting
it is refused with the Airflow-native alternative."""

from mlpipelines.model.azure_only_names import AutoMLConfig

__all__ = ["AutoMLConfig"]
