"""The control store as a client with only the Airflow URL and a token reaches it: through
the plugin's REST API (``plugin/control_routes.py``), which keeps the documents on the
deployment's specs datastore. No datastore credential is needed on the client."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from mlpipelines.client.airflow_api import AirflowApi, AirflowApiError
from mlpipelines.errors import UserErrorException
from mlpipelines.storage.control_store import checked_path

API_PREFIX = "/mlpipelines/api/v1"


class RestControlStore:
    """``storage.control_store.ControlStore`` over the plugin's REST API."""

    def __init__(self, api: AirflowApi) -> None:
        self.api = api

    def read(self, relative: str) -> Any:
        response = self._call("GET", _document(relative), retry=True)
        if response.status_code == 404:
            raise FileNotFoundError(relative)
        return _answer(response)

    def exists(self, relative: str) -> bool:
        try:
            self.read(relative)
        except FileNotFoundError:
            return False
        return True

    def write(self, relative: str, data: Any) -> None:
        # Replacing a document with the same body is harmless: retried like a read.
        _answer(self._call("PUT", _document(relative), retry=True, json=data))

    def create(self, relative: str, data: Any) -> bool:
        response = self._call("POST", _document(relative), retry=False, json=data)
        if response.status_code == 409:
            return False
        _answer(response)
        return True

    def delete(self, relative: str) -> None:
        response = self._call("DELETE", _document(relative), retry=True)
        if response.status_code != 204:
            _answer(response)

    def children(self, folder: str) -> list[str]:
        path = f"{API_PREFIX}/control/folders/{_quoted(checked_path(folder, document=False))}"
        return list(_answer(self._call("GET", path, retry=True))["names"])

    def read_all(self, folder: str) -> list[Any]:
        path = f"{API_PREFIX}/control/folders/{_quoted(checked_path(folder, document=False))}"
        answer = _answer(self._call("GET", path, retry=True, params={"documents": "true"}))
        return list(answer["documents"])

    def _call(self, method: str, path: str, retry: bool, **kwargs: Any) -> httpx.Response:
        response = self.api.request(method, path, retry=retry, **kwargs)
        if response.status_code == 404 and _detail(response) == "Not Found":
            raise UserErrorException(
                f"{self.api.base_url} has no mlpipelines plugin (or an older one): install "
                "airflow-provider-mlpipelines on its API server"
            )
        return response

    def __repr__(self) -> str:
        return f"RestControlStore({self.api.base_url!r})"


def _document(relative: str) -> str:
    return f"{API_PREFIX}/control/documents/{_quoted(checked_path(relative))}"


def _quoted(relative: str) -> str:
    return quote(relative, safe="/")


def _detail(response: httpx.Response) -> Any:
    try:
        return response.json().get("detail")
    except (ValueError, AttributeError):
        return None


def _answer(response: httpx.Response) -> Any:
    if response.status_code in (413, 422):
        raise UserErrorException(str(_detail(response) or response.text))
    if response.status_code >= 400:
        raise AirflowApiError(response)
    return response.json()
