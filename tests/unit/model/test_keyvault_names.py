"""Keyvault refuses what Azure Key Vault would refuse, before any call to Airflow, and says
where a value can be read."""

from __future__ import annotations

import pytest

from mlpipelines.azureml.core import Keyvault as CoreKeyvault
from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.core.keyvault import Keyvault
from mlpipelines.errors import UserErrorException


def _keyvault() -> Keyvault:
    # No Airflow URL: any call that reached the REST API would fail with "no URL" instead.
    keyvault = Workspace.current().get_default_keyvault()
    assert isinstance(keyvault, Keyvault) and Keyvault is CoreKeyvault
    return keyvault


@pytest.mark.parametrize("bad", ["under_score", "", "x" * 128, "a/b", None])
def test_bad_names_are_refused_before_any_call(bad) -> None:
    keyvault = _keyvault()
    for call in (
        lambda: keyvault.set_secret(bad, "v"),
        lambda: keyvault.delete_secret(bad),
        lambda: keyvault.get_secret_content_type(bad),
        lambda: keyvault.get_secret(bad),
    ):
        with pytest.raises(UserErrorException, match="is not valid"):
            call()


def test_reading_a_value_outside_a_step_says_where_it_can_be_read() -> None:
    with pytest.raises(UserErrorException, match=r"Run.get_context\(\).get_secret"):
        _keyvault().get_secrets(["db-password"])
