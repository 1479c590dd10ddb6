"""The operator that runs a CommandStep: its command as a process on the Airflow worker, or,
on a cluster with a pod or container backend, in a pod or container (as a script step)."""

from __future__ import annotations

from mlpipelines.operators.python_script import PythonScriptStepOperator


class CommandStepOperator(PythonScriptStepOperator):
    """Run the step's command (an argv list, no shell) in a fresh copy of its source folder;
    the runner is the command kind's (``runtime/command_step.py``).

    :param step: the step's definition, as planned by the translator.
    :param reuse_task_id: the reuse sensor's task id (None where the DAG has none).
    :param interpreter: the Python whose folder leads the command's PATH (default: the
        worker's own). (templated)
    :param env: extra environment variables for the command. (templated)
    """

    ui_color = "#eaf5e4"
