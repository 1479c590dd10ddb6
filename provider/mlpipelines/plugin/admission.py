"""How many run requests the API server works on at once, and what the rest are told.

A burst of run requests on SQLite queues every writer on one lock: past a few at a time each
waits longer, the scheduler's own writes time out, and answers turn into 500s. So a few
requests create runs at a time; the others wait their turn up to a bound and are then
answered 429 with ``Retry-After``; a database that still says "locked" is a 503 with
``Retry-After``. Either way no run was made, so a retry (with the same ``Idempotency-Key``)
is safe.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException

CONCURRENCY_VARIABLE = "MLPIPELINES_RUN_CREATION_CONCURRENCY"
WAIT_VARIABLE = "MLPIPELINES_RUN_CREATION_WAIT_SECONDS"
DEFAULT_CONCURRENCY = 2
DEFAULT_WAIT_SECONDS = 30.0
RETRY_AFTER_SECONDS = 5


class RunAdmission:
    """A gate of ``concurrency`` slots; a request that gets none within ``wait_seconds`` is
    answered 429."""

    def __init__(self, concurrency: int, wait_seconds: float) -> None:
        self.concurrency = concurrency
        self.wait_seconds = wait_seconds
        self._slots = threading.BoundedSemaphore(concurrency)

    @classmethod
    def from_environment(cls) -> RunAdmission:
        return cls(
            max(1, int(os.environ.get(CONCURRENCY_VARIABLE, DEFAULT_CONCURRENCY))),
            float(os.environ.get(WAIT_VARIABLE, DEFAULT_WAIT_SECONDS)),
        )

    @contextmanager
    def admitted(self) -> Iterator[None]:
        """Hold a slot for the body of the ``with``; 429 or 503 (never a 500) when busy."""
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise HTTPException(
                status_code=429,
                detail=f"too many run requests at once ({self.concurrency} are made at a "
                f"time, and this one waited {self.wait_seconds:.0f} s); no run was made: "
                "send it again later",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        try:
            yield
        except Exception as exc:
            if not _database_busy(exc):
                raise
            raise HTTPException(
                status_code=503,
                detail="Airflow's metadata database is busy; no run was made: send it again",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            ) from None
        finally:
            self._slots.release()


def _database_busy(exc: BaseException) -> bool:
    """A locked or unreachable database (SQLAlchemy's OperationalError), however wrapped."""
    seen: BaseException | None = exc
    while seen is not None:
        if type(seen).__name__ == "OperationalError":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


ADMISSION = RunAdmission.from_environment()
