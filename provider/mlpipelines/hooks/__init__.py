"""Datastores as Airflow connections: one hook per kind over the fsspec interface of
``mlpipelines.storage``. Import the hooks from ``mlpipelines.hooks.datastore``."""
