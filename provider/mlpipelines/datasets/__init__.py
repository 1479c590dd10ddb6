"""Reading datasets: resolving sources to files on datastores, tables through pyarrow, file
downloads and mounts, the registry, and what a step gets for a dataset input.

pyarrow, pandas and fsspec are imported inside the functions that use them.
"""

from mlpipelines.datasets.step_inputs import materialize_input

__all__ = ["materialize_input"]
