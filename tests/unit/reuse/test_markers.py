"""In-progress markers: exactly one of many racing runs claims a key; dead holders yield."""

from __future__ import annotations

from mlpipelines.reuse.store import Holder, ReuseStore


def test_a_live_holder_keeps_the_key_and_a_dead_one_yields(tmp_path):
    store = ReuseStore({"name": "markers", "kind": "local", "path": str(tmp_path)})
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

    store = ReuseStore({"name": "markers", "kind": "local", "path": str(tmp_path)})
    for round_number in range(20):
        key = f"k{round_number}"
        with ThreadPoolExecutor(8) as pool:
            results = list(
                pool.map(lambda n, k=key: store.claim(k, Holder("dag", f"r{n}", "step")), range(8))
            )
        assert sum(r is None for r in results) == 1, results
