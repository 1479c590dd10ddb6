"""``azureml.opendatasets``: every Open Dataset class (``NycTlcGreen``, ``Diabetes``, ...)
imports, and any use of it is refused with the Airflow-native way to get the data."""

from mlpipelines.model.azure_only import open_dataset


def __getattr__(name: str) -> type:
    return open_dataset(name)
