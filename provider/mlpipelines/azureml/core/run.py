"""``azureml.core.run``: ``Run``, and ``_OfflineRun``, what ``Run.get_context()`` returns outside
a pipeline (scripts test ``isinstance(run, _OfflineRun)`` to run standalone)."""

from mlpipelines.model.run import OfflineRun, Run

_OfflineRun = OfflineRun

__all__ = ["Run", "_OfflineRun"]
