"""Airflow DAG loader: every pipeline submitted with Experiment.submit or published.

Keep this file in the dags folder; it renders each stored pipeline spec into its DAG.
"""

from mlpipelines.translate.spec_loader import load_spec_dags

load_spec_dags(globals())
