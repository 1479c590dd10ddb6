"""The workspace secrets a step's script may ask for while it runs (``run.get_secret``),
read through the task's Airflow connections and served over ``storage.secret_socket``."""

from __future__ import annotations

from contextlib import AbstractContextManager

from mlpipelines.runtime.step_context import StepLog
from mlpipelines.storage.airflow_connections import read_connection
from mlpipelines.storage.secret_socket import serve_secrets


def secrets_for_script(log: StepLog) -> AbstractContextManager[dict[str, str]]:
    """Serve secrets for as long as the block runs a script; yields the script's environment
    entry. The step log names each secret read, never its value."""
    return serve_secrets(
        read_secret, lambda names: log.info("the script read secret(s): %s", ", ".join(names))
    )


def read_secret(connection_id: str) -> str | None:
    """A secret's value: the password of its Airflow connection; None when there is none."""
    connection = read_connection(connection_id)
    if connection is None:
        return None
    return str(connection.password or "")
