"""The old SDK's authentication classes: each gives the header that Airflow's REST API takes.

Credentials come from the workspace config (``mlpipelines airflow up`` writes one), from the
arguments, or from the environment: ``MLPIPELINES_AIRFLOW_TOKEN``, else
``MLPIPELINES_AIRFLOW_USERNAME`` / ``MLPIPELINES_AIRFLOW_PASSWORD``.
"""

from __future__ import annotations

import os
from typing import Any

from mlpipelines.client.airflow_api import NO_URL, AirflowApi
from mlpipelines.errors import UserErrorException


class _AirflowAuthentication:
    def __init__(
        self,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        workspace: Any = None,
    ) -> None:
        self._username = username or os.environ.get("MLPIPELINES_AIRFLOW_USERNAME")
        self._password = password or os.environ.get("MLPIPELINES_AIRFLOW_PASSWORD")
        self._token = token or os.environ.get("MLPIPELINES_AIRFLOW_TOKEN")
        self._workspace = workspace

    def _api(self) -> AirflowApi:
        from mlpipelines.storage.deployment import Deployment

        ws = self._workspace or Deployment.from_config()
        if not ws.airflow_url:
            raise UserErrorException(NO_URL)
        if self._token or self._username:
            return AirflowApi(ws.airflow_url, self._username, self._password, self._token)
        return AirflowApi.from_workspace(ws)

    def get_authentication_header(self) -> dict[str, str]:
        """``{"Authorization": "Bearer <JWT>"}`` for Airflow's REST API."""
        api = self._api()
        try:
            token = api.token()
        finally:
            api.close()
        if not token:
            raise UserErrorException(
                "no Airflow credentials: set them in the workspace config "
                "or MLPIPELINES_AIRFLOW_TOKEN"
            )
        return {"Authorization": f"Bearer {token}"}


class InteractiveLoginAuthentication(_AirflowAuthentication):
    """The workspace config's (or the environment's) Airflow user; no browser involved."""

    def __init__(
        self,
        force: bool = False,
        tenant_id: str | None = None,
        cloud: str | None = None,
        workspace: Any = None,
    ) -> None:
        super().__init__(workspace=workspace)


class ServicePrincipalAuthentication(_AirflowAuthentication):
    """An Airflow user given as the old service principal: its id is the username and its
    password the password (``tenant_id`` is accepted and ignored)."""

    def __init__(
        self,
        tenant_id: str | None = None,
        service_principal_id: str | None = None,
        service_principal_password: str | None = None,
        cloud: str | None = None,
        workspace: Any = None,
    ) -> None:
        super().__init__(service_principal_id, service_principal_password, workspace=workspace)


class AzureCliAuthentication(_AirflowAuthentication):
    """A token from the environment (``MLPIPELINES_AIRFLOW_TOKEN``), else the workspace's."""

    def __init__(self, cloud: str | None = None, workspace: Any = None) -> None:
        super().__init__(workspace=workspace)


class MsiAuthentication(_AirflowAuthentication):
    """A managed identity in Azure; here, as ``AzureCliAuthentication``: the environment's
    token (``MLPIPELINES_AIRFLOW_TOKEN``), else the workspace's user."""

    def __init__(self, cloud: str | None = None, identity_config: Any = None, **_: Any) -> None:
        super().__init__()
