"""Which files Airflow's DAG processor opens: Airflow's own rule, or a file that imports
mlpipelines and translates a pipeline (``to_dag``, ``to_task_group``, ``load_spec_dags``).

Airflow's safe-mode rule only opens files that mention both "airflow" and "dag", so a
pipeline file migrated from Azure ML (``from mlpipelines.azureml...``) was silently skipped.
Airflow calls this by its dotted path, ``[core] might_contain_dag_callable``; step scripts
that import mlpipelines but translate nothing stay unparsed.
"""

from __future__ import annotations

import re
import zipfile

DAG_DISCOVERY_CALLABLE = "mlpipelines.translate.dag_discovery.might_contain_dag"

_IMPORTS_MLPIPELINES = re.compile(rb"^[ \t]*(?:from|import)[ \t]+mlpipelines\b", re.M)
_TRANSLATES = re.compile(rb"\b(?:to_dag|to_task_group|load_spec_dags)[ \t]*\(")


def might_contain_dag(file_path: str, zip_file: zipfile.ZipFile | None = None) -> bool:
    """True for a file Airflow's default rule accepts, or one that imports mlpipelines and
    translates a pipeline into a DAG or TaskGroup."""
    from airflow.utils.file import might_contain_dag_via_default_heuristic

    if might_contain_dag_via_default_heuristic(file_path, zip_file):
        return True
    if zip_file is not None:
        with zip_file.open(file_path) as member:
            content = member.read()
    else:
        with open(file_path, "rb") as file:
            content = file.read()
    return bool(_IMPORTS_MLPIPELINES.search(content) and _TRANSLATES.search(content))
