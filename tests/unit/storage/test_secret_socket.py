"""A step's script gets workspace secrets from its task over a private socket: the values it
asks for, a clear error for a missing or malformed name, and nothing left behind."""

from __future__ import annotations

import os
import socket
import stat
import threading

import pytest

from mlpipelines.gc.machine_survey import WORK_PREFIX
from mlpipelines.model.run import Run
from mlpipelines.records.reserved import ENV_SECRETS_SOCKET
from mlpipelines.storage.secret_socket import (
    SecretRequestError,
    request_secrets,
    serve_secrets,
)

STORED = {"mlpipelines_secret_db-password": "p@ss w0rd\n", "mlpipelines_secret_empty": ""}


def test_a_script_reads_the_secrets_it_names_and_the_log_hears_names_only() -> None:
    heard: list[list[str]] = []
    with serve_secrets(STORED.get, heard.append) as env:
        path = env[ENV_SECRETS_SOCKET]
        assert request_secrets(["db-password", "empty"], path) == {
            "db-password": "p@ss w0rd\n",
            "empty": "",
        }
        assert request_secrets(["db-password"], path) == {"db-password": "p@ss w0rd\n"}
    assert heard == [["db-password", "empty"], ["db-password"]]


def test_run_get_secret_asks_the_socket_its_environment_names(monkeypatch) -> None:
    with serve_secrets(STORED.get) as env:
        monkeypatch.setenv(ENV_SECRETS_SOCKET, env[ENV_SECRETS_SOCKET])
        run = Run.get_context()
        assert run.get_secret("db-password") == "p@ss w0rd\n"
        assert run.get_secrets(["empty"]) == {"empty": ""}


def test_a_missing_secret_is_an_error_naming_it_and_where_it_is_kept() -> None:
    expected = r"no secret named 'nope'.*mlpipelines_secret_nope"
    with serve_secrets(STORED.get) as env, pytest.raises(SecretRequestError, match=expected):
        request_secrets(["db-password", "nope"], env[ENV_SECRETS_SOCKET])


def test_a_bad_name_is_refused_before_asking() -> None:
    asked: list[str] = []

    def read(connection_id: str) -> str | None:
        asked.append(connection_id)
        return None

    with serve_secrets(read) as env:
        for bad in ("a_b", "", "x" * 128, "../etc"):
            with pytest.raises(Exception, match="not valid"):
                request_secrets([bad], env[ENV_SECRETS_SOCKET])
    assert asked == []


def test_outside_a_step_the_error_says_where_secrets_come_from(monkeypatch) -> None:
    monkeypatch.delenv(ENV_SECRETS_SOCKET, raising=False)
    with pytest.raises(SecretRequestError, match="get_default_keyvault"):
        Run.get_context().get_secret("db-password")


def test_a_malformed_request_or_failing_read_is_answered_and_serving_goes_on() -> None:
    def read(connection_id: str) -> str | None:
        if connection_id.endswith("boom"):
            raise RuntimeError("backend says: secret-value-123")
        return STORED.get(connection_id)

    with serve_secrets(read) as env:
        path = env[ENV_SECRETS_SOCKET]
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
            raw.connect(path)
            raw.sendall(b"not json\n")
            assert b"malformed request" in raw.recv(4096)
        with pytest.raises(SecretRequestError) as failed:
            request_secrets(["boom"], path)
        assert "RuntimeError" in str(failed.value)
        assert "secret-value-123" not in str(failed.value)
        assert request_secrets(["db-password"], path) == {"db-password": "p@ss w0rd\n"}


def test_the_socket_is_private_while_served_and_gone_after() -> None:
    with serve_secrets(STORED.get) as env:
        path = env[ENV_SECRETS_SOCKET]
        assert stat.S_ISSOCK(os.stat(path).st_mode)
        # A killed task's folder is one `mlpipelines gc` clears with its work folder.
        assert os.path.basename(os.path.dirname(path)).startswith(WORK_PREFIX)
        assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not os.path.exists(os.path.dirname(path))
    # The serving thread ended with the block (woken, not left polling).
    assert "mlpipelines-secrets" not in [t.name for t in threading.enumerate()]
    with pytest.raises(SecretRequestError, match="cannot ask"):
        request_secrets(["db-password"], path)
