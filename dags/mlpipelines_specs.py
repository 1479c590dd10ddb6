"""Airflow DAG loader (internal to mlpipelines): every pipeline submitted with
Experiment.submit or published.

Keep this file in the dags folder; it renders each stored pipeline spec into its DAG, and
defines the task-less DAG `mlpipelines_specs` that the UI lists as mlpipelines' loader.
"""

from mlpipelines.translate.spec_loader import load_spec_dags

load_spec_dags(globals())
