"""While a step computes a key, its in-progress marker is refreshed so others know it lives."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from mlpipelines.reuse.store import Holder, ReuseStore

HEARTBEAT_SECONDS = 20.0


@contextlib.contextmanager
def keep_marker_alive(
    store: ReuseStore, key: str, me: Holder, enabled: bool = True
) -> Iterator[None]:
    """Refresh ``me``'s marker of ``key`` every few seconds until the block ends."""
    if not enabled:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            store.heartbeat(key, me)

    thread = threading.Thread(target=beat, name="mlpipelines-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
