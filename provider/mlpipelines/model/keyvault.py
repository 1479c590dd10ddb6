"""``Keyvault``: the workspace's secrets (``ws.get_default_keyvault()``), kept as Airflow
connections. A notebook sets, lists and deletes them; a step's script reads them with
``Run.get_context().get_secret(name)``, answered by its task. Airflow's REST API never
returns a connection's password, so a client cannot read a value back."""

from __future__ import annotations

from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.records.secret_names import check_secret_name


class Keyvault:
    """The secrets of one workspace (the Airflow deployment it names)."""

    def __init__(self, workspace: Any) -> None:
        self.workspace = workspace

    def set_secret(self, name: str, value: str, content_type: Any = None) -> None:
        """Create or replace the secret ``name``."""
        self.set_secrets({name: value}, content_type)

    def set_secrets(self, secrets_batch: dict[str, str], content_type: Any = None) -> None:
        """Create or replace each secret of ``secrets_batch`` (name -> value)."""
        from mlpipelines.client.workspace_secrets import set_secrets

        checked = {check_secret_name(name): value for name, value in secrets_batch.items()}
        kind = getattr(content_type, "value", content_type)
        set_secrets(self.workspace, checked, None if kind in (None, "") else str(kind))

    def list_secrets(self) -> list[dict[str, str]]:
        """``[{"name": ...}]`` of every secret (never a value)."""
        from mlpipelines.client.workspace_secrets import list_secrets

        return list_secrets(self.workspace)

    def get_secret_content_type(self, name: str) -> str | None:
        """The content type the secret was set with, if any."""
        from mlpipelines.client.workspace_secrets import secret_content_type

        return secret_content_type(self.workspace, check_secret_name(name))

    def delete_secret(self, name: str) -> None:
        """Remove the secret ``name``."""
        self.delete_secrets([name])

    def delete_secrets(self, secrets: list[str]) -> None:
        """Remove each named secret."""
        from mlpipelines.client.workspace_secrets import delete_secrets

        delete_secrets(self.workspace, [check_secret_name(name) for name in secrets])

    def get_secret(self, name: str) -> str:
        """Refused outside a step: see the module's docstring."""
        return self.get_secrets([name])[name]

    def get_secrets(self, secrets: list[str]) -> dict[str, str]:
        """Refused outside a step: see the module's docstring."""
        for name in secrets:
            check_secret_name(name)
        raise UserErrorException(
            "a workspace secret is read only inside a step, with "
            "Run.get_context().get_secret(name): Airflow's REST API never returns a "
            "connection's password (the secret is in the Airflow connection "
            "'mlpipelines_secret_<name>')"
        )

    def __repr__(self) -> str:
        return f"Keyvault(workspace={getattr(self.workspace, 'name', None)!r})"
