"""Workspace secrets handed to a step's script on request, over a Unix socket its task holds.

The script cannot read Airflow connections (it never imports Airflow) and which secrets it
wants is known only when it asks (``run.get_secret(name)``), so its task answers: it serves
a socket in a folder of its own (mode 0700) for as long as the script runs, reads each asked
secret through its own connections, and tells the step log the names read (never a value).
The path reaches the script in ``MLPIPELINES_SECRETS_SOCKET``; a value travels only over the
socket, never through argv, the environment, a log or a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.records.reserved import ENV_SECRETS_SOCKET
from mlpipelines.records.secret_names import check_secret_name, secret_connection_id

MAX_REQUEST_BYTES = 64 * 1024
MAX_NAMES = 256
CLIENT_TIMEOUT_SECONDS = 30.0
_STOP_SECONDS = 5.0  # a request still being answered when the script has ended
_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux, 104 on macOS


class SecretRequestError(UserErrorException):
    """A step's request for secrets could not be answered; the message says why."""


@contextlib.contextmanager
def serve_secrets(
    read: Callable[[str], str | None], on_read: Callable[[list[str]], None] | None = None
) -> Iterator[dict[str, str]]:
    """Serve secrets while the block runs; yields ``{MLPIPELINES_SECRETS_SOCKET: path}`` for
    the script's environment. ``read(connection_id)`` gives a secret's value or None;
    ``on_read`` hears the names of each answered request."""
    # "mlpipelines-": what `mlpipelines gc` takes for a task's folder, so one a killed task
    # left is cleared with its work folder.
    folder = tempfile.mkdtemp(prefix="mlpipelines-secrets-", dir=_short_temp_dir())
    path = os.path.join(folder, "s")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stop = threading.Event()
    try:
        server.bind(path)
        os.chmod(path, 0o600)
        server.listen(8)
        thread = threading.Thread(
            target=_serve, args=(server, stop, read, on_read), name="mlpipelines-secrets"
        )
        thread.daemon = True
        thread.start()
        try:
            yield {ENV_SECRETS_SOCKET: path}
        finally:
            stop.set()
            _wake(path)  # accept() returns at once, sees the stop and ends: no polling delay
            thread.join(_STOP_SECONDS)
    finally:
        server.close()
        shutil.rmtree(folder, ignore_errors=True)


def request_secrets(names: list[str], socket_path: str | None = None) -> dict[str, str]:
    """The values of the secrets ``names``, asked of the task running this script."""
    path = socket_path or os.environ.get(ENV_SECRETS_SOCKET)
    if not path:
        raise SecretRequestError(
            "run.get_secret works in a step's script run by mlpipelines (its task hands the "
            "workspace's secrets over); set one with ws.get_default_keyvault().set_secret()"
        )
    wanted = [check_secret_name(name) for name in names]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(CLIENT_TIMEOUT_SECONDS)
        try:
            client.connect(path)
            client.sendall(json.dumps({"names": wanted}).encode() + b"\n")
            reply = _read_line(client, limit=None)
        except OSError as exc:
            raise SecretRequestError(
                f"cannot ask the step's task for secrets ({type(exc).__name__}: {exc})"
            ) from None
    answer = json.loads(reply)
    if "error" in answer:
        raise SecretRequestError(str(answer["error"]))
    secrets: dict[str, str] = answer["secrets"]
    return secrets


def _serve(
    server: socket.socket,
    stop: threading.Event,
    read: Callable[[str], str | None],
    on_read: Callable[[list[str]], None] | None,
) -> None:
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        if stop.is_set():
            conn.close()
            return
        with conn:
            conn.settimeout(CLIENT_TIMEOUT_SECONDS)
            with contextlib.suppress(OSError):
                answer = _answer(conn, read, on_read)
                conn.sendall(json.dumps(answer).encode() + b"\n")


def _answer(
    conn: socket.socket,
    read: Callable[[str], str | None],
    on_read: Callable[[list[str]], None] | None,
) -> dict[str, Any]:
    try:
        request = json.loads(_read_line(conn, limit=MAX_REQUEST_BYTES))
        names = request["names"]
        if not isinstance(names, list) or len(names) > MAX_NAMES:
            raise ValueError(f"names must be a list of at most {MAX_NAMES}")
        values: dict[str, str] = {}
        for name in names:
            value = read(secret_connection_id(name))
            if value is None:
                return {
                    "error": f"no secret named '{name}' in the workspace (an Airflow connection "
                    f"'{secret_connection_id(name)}' with the value as its password); set it "
                    "with ws.get_default_keyvault().set_secret()"
                }
            values[name] = value
    except UserErrorException as exc:
        return {"error": str(exc)}
    except (ValueError, KeyError, TypeError) as exc:
        return {"error": f"malformed request for secrets: {exc}"}
    except Exception as exc:  # a failing read must answer, not leave the script waiting
        return {"error": f"reading the secrets failed: {type(exc).__name__}"}
    if on_read is not None:
        on_read(list(values))
    return {"secrets": values}


def _wake(path: str) -> None:
    """Connect once so that the serving thread's blocking accept() returns."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as wake:
        wake.settimeout(1.0)
        wake.connect(path)


def _read_line(conn: socket.socket, limit: int | None) -> bytes:
    """Bytes up to the first newline (the peer's whole message)."""
    data = bytearray()
    while not data.endswith(b"\n"):
        piece = conn.recv(65536)
        if not piece:
            break
        data += piece
        if limit is not None and len(data) > limit:
            raise ValueError(f"request longer than {limit} bytes")
    return bytes(data)


def _short_temp_dir() -> str | None:
    """The temp folder, unless a socket path in it would be too long for the kernel."""
    default = tempfile.gettempdir()
    if len(default) + 40 <= _MAX_SOCKET_PATH:
        return None
    return "/tmp" if os.path.isdir("/tmp") else None
