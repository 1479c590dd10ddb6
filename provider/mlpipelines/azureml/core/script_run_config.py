"""``azureml.core.script_run_config``."""

from mlpipelines.model.script_run_config import ScriptRunConfig

__all__ = ["ScriptRunConfig"]
