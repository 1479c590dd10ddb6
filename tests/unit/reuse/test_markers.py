"""In-progress markers: exactly one of many racing runs claims a key; dead holders yield."""

from __future__ import annotations

from mlpipelines.records import DatastoreSpec
from mlpipelines.reuse.store import Holder, ReuseStore


def test_a_live_holder_keeps_the_key_and_a_dead_one_yields(tmp_path):
    store = ReuseStore(DatastoreSpec("markers", "local", str(tmp_path)))
    me = Holder("dag", "run1", "step")
    assert store.claim("k", me) is None
    other = store.claim("k", Holder("dag", "run2", "step"))
    assert other is not None and other.run_id == "run1"
    assert store.claim("k", Holder("dag", "run1", "step")) is None, "a retry of the holder"

    store.release("k", me)
    dead = Holder("dag", "run3", "step", pid=2**22 + 12345)
    assert store.claim("k", dead) is None
    assert store.claim("k", Holder("dag", "run4", "step")) is None, "dead holder yields"


def test_threads_racing_for_a_key_get_one_winner(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    store = ReuseStore(DatastoreSpec("markers", "local", str(tmp_path)))
    for round_number in range(20):
        key = f"k{round_number}"
        with ThreadPoolExecutor(8) as pool:
            results = list(
                pool.map(lambda n, k=key: store.claim(k, Holder("dag", f"r{n}", "step")), range(8))
            )
        assert sum(r is None for r in results) == 1, results


def test_the_wait_trigger_fires_once_the_holder_releases_or_dies(tmp_path):
    import asyncio

    from mlpipelines.triggers.reuse import HolderGoneTrigger

    spec = {"name": "markers", "kind": "local", "path": str(tmp_path)}
    store = ReuseStore(DatastoreSpec.from_json(spec))
    me = Holder("dag", "run1", "step")
    dead = Holder("dag", "run2", "step", pid=2**22 + 12345)
    assert store.claim("live", me) is None
    assert store.claim("dead", dead) is None
    trigger = HolderGoneTrigger(
        held=[{"store": spec, "key": "live"}, {"store": spec, "key": "dead"}], poll_seconds=0.01
    )
    assert trigger.still_held() == ["live"]

    async def released_after_some_polls() -> dict:
        waiting = asyncio.ensure_future(trigger.run().__anext__())
        await asyncio.sleep(0.1)
        assert not waiting.done(), "fired while a live run holds the key"
        store.release("live", me)
        return (await asyncio.wait_for(waiting, 5)).payload

    assert asyncio.run(released_after_some_polls()) == {"released": ["live", "dead"]}


def test_a_short_wait_stays_in_process_and_a_deferred_one_fires_not_too_soon(tmp_path):
    """A task must not end and start again within seconds (Airflow can then fail it, see
    triggers/reuse.py): a holder that finishes soon is awaited in process, and a deferral's
    trigger fires DEFER_AT_LEAST_SECONDS after it at the earliest."""
    import asyncio
    import threading
    import time

    from mlpipelines.triggers.reuse import (
        DEFER_AT_LEAST_SECONDS,
        HolderGoneTrigger,
        wait_in_process,
    )

    spec = {"name": "markers", "kind": "local", "path": str(tmp_path)}
    store = ReuseStore(DatastoreSpec.from_json(spec))
    holder = Holder("dag", "run1", "step")
    assert store.claim("k", holder) is None
    held = [{"store": spec, "key": "k"}]
    threading.Timer(0.3, store.release, ("k", holder)).start()
    started = time.monotonic()
    assert wait_in_process(held, started + 10)
    assert 0.2 < time.monotonic() - started < 5
    assert wait_in_process(held, started), "a free key: True at once, past the deadline too"

    assert store.claim("k", holder) is None
    assert not wait_in_process(held, time.monotonic() + 0.3), "deadline passed while held"
    store.release("k", holder)

    deferred = HolderGoneTrigger.from_now(held)
    assert deferred.not_before >= time.time() + DEFER_AT_LEAST_SECONDS - 1
    assert HolderGoneTrigger(**deferred.serialize()[1]).not_before == deferred.not_before
    soon = HolderGoneTrigger(held=held, not_before=time.time() + 0.5)
    fired_at = []

    async def fire() -> None:
        async for _ in soon.run():
            fired_at.append(time.time())
            return

    before = time.time()
    asyncio.run(fire())
    assert fired_at and fired_at[0] - before >= 0.45, "free at once, yet not before not_before"
