"""``azureml.train.estimator``: estimators may be built; submitting one is refused (use a
PythonScriptStep with the same script)."""

from mlpipelines.model.azure_only_names import Estimator

__all__ = ["Estimator"]
