"""The run-creation gate: a few at a time, 429 with Retry-After past the wait, 503 for a
locked database, and a slot given back whatever happened."""

from __future__ import annotations

import threading

import pytest
from fastapi import HTTPException
from sqlalchemy.exc import OperationalError

from mlpipelines.plugin.admission import RunAdmission


def test_a_request_that_waits_too_long_gets_429_with_retry_after():
    gate = RunAdmission(concurrency=1, wait_seconds=0.2)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with gate.admitted():
            holding.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(5)
    with pytest.raises(HTTPException) as refused, gate.admitted():
        pass
    release.set()
    holder.join()
    assert refused.value.status_code == 429
    assert refused.value.headers == {"Retry-After": "5"}
    assert "no run was made" in refused.value.detail
    with gate.admitted():  # the slot came back
        pass


def test_a_locked_database_is_a_503_and_the_slot_comes_back():
    gate = RunAdmission(concurrency=1, wait_seconds=0.2)
    locked = OperationalError("INSERT ...", {}, Exception("database is locked"))
    with pytest.raises(HTTPException) as busy, gate.admitted():
        try:
            raise locked
        except OperationalError as exc:
            raise RuntimeError("wrapped") from exc
    assert busy.value.status_code == 503 and busy.value.headers["Retry-After"] == "5"
    with pytest.raises(ValueError, match="other"), gate.admitted():
        raise ValueError("other errors pass through")
    with gate.admitted():
        pass
