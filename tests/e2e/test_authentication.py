"""The old SDK's authentication classes give headers Airflow's REST API accepts."""

from __future__ import annotations

import json

import httpx
import pytest

from mlpipelines.azureml.core.authentication import (
    AzureCliAuthentication,
    InteractiveLoginAuthentication,
    ServicePrincipalAuthentication,
)
from mlpipelines.client.airflow_api import AirflowApiError

pytestmark = pytest.mark.e2e


def _status(airflow, headers: dict[str, str]) -> int:
    return httpx.get(f"{airflow.api.base_url}/api/v2/dags", headers=headers).status_code


def test_headers_open_the_rest_api_and_nothing_else_does(airflow, monkeypatch):
    monkeypatch.chdir(airflow.home)  # where `mlpipelines airflow up` wrote config.json
    assert _status(airflow, {}) == 401
    header = InteractiveLoginAuthentication().get_authentication_header()
    assert _status(airflow, header) == 200
    password = json.loads((airflow.home / "config.json").read_text())["password"]
    principal = ServicePrincipalAuthentication("tenant", "admin", password)
    assert _status(airflow, principal.get_authentication_header()) == 200
    monkeypatch.setenv("MLPIPELINES_AIRFLOW_TOKEN", header["Authorization"].split()[1])
    assert _status(airflow, AzureCliAuthentication().get_authentication_header()) == 200
    monkeypatch.delenv("MLPIPELINES_AIRFLOW_TOKEN")
    with pytest.raises(AirflowApiError) as refused:
        ServicePrincipalAuthentication("t", "admin", "wrong").get_authentication_header()
    assert refused.value.status_code == 401
