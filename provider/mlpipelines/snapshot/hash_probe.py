"""How many threads pay off when this machine hashes many files: measured once, remembered.

The probe chooses thread counts only, never the algorithm: `ALGORITHM` is fixed per deployment
(blake3, a dependency; sha256 only where blake3 cannot be installed), since two workers choosing
different algorithms would compute different reuse keys for the same content. It runs inside
`digest_paths` on the first batch big enough to pay for it (never at DAG parse time) while
the machine is quiet, takes about 0.1 s, and is kept in the user's cache folder per algorithm
and core count.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from mlpipelines.snapshot.algorithm import ALGORITHM

log = logging.getLogger(__name__)

PROBE_VERSION = 1
_PROBE_FILE = 8 << 20
_READS_PER_THREAD = 2
_BETTER = 1.1
"""More threads (or one file on all cores) must be this much faster to be chosen."""
_MAX_THREADS = 8
_QUIET_LOAD = 0.5
"""The probe measures only while the 1-minute load is at most this per core."""


@dataclass(frozen=True)
class HashingPlan:
    """The measured choice: pool threads for many files, and whether one big file is hashed
    on all cores (blake3's own threads) rather than in the pool."""

    workers: int
    split_big_files: bool
    measured_gbps: dict[str, float]
    """Throughput of each candidate, for the benchmark and the curious."""


def default_plan() -> HashingPlan:
    """What `digest_paths` does before a probe has run: all cores (up to 8), big files split."""
    return HashingPlan(max(2, min(_MAX_THREADS, os.cpu_count() or 1)), True, {})


def probe_path() -> str:
    """`$XDG_CACHE_HOME/mlpipelines/hash-probe-v1-<algorithm>-<cores>.json` (default ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    name = f"hash-probe-v{PROBE_VERSION}-{ALGORITHM}-{os.cpu_count() or 1}.json"
    return os.path.join(base, "mlpipelines", name)


def remembered_plan(path: str | None = None) -> HashingPlan | None:
    """The plan a probe saved on this machine, or None (absent, unreadable, or malformed)."""
    try:
        with open(path or probe_path(), encoding="utf-8") as f:
            data: Any = json.load(f)
        plan = HashingPlan(
            int(data["workers"]), bool(data["split_big_files"]), dict(data["measured_gbps"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return plan if 1 <= plan.workers <= 64 else None


def machine_is_quiet() -> bool:
    """Whether other work leaves most cores free: a busy machine's measurement says more about
    its neighbours than about its cores (it would pick one thread and keep that)."""
    try:
        return os.getloadavg()[0] <= _QUIET_LOAD * (os.cpu_count() or 1)
    except OSError:  # pragma: no cover - no load average (Windows): measure anyway
        return True


def _throughput(action: Callable[[], object], volume: int) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return volume / best / 1e9


def measure_plan(
    hash_file: Callable[[str], object], hash_file_split: Callable[[str], object] | None
) -> HashingPlan:
    """Hash a temporary file from the page cache on 1..N threads at once (and on all cores
    through `hash_file_split`, when given); the fewest threads within `_BETTER` of more win.

    A file, not a buffer: copying from the page cache is half the cost of hashing a file.
    """
    cores = min(_MAX_THREADS, os.cpu_count() or 1)
    with tempfile.NamedTemporaryFile(prefix="mlpipelines-hash-probe-") as f:
        f.write(os.urandom(_PROBE_FILE))
        f.flush()
        measured: dict[str, float] = {}
        for threads in range(1, cores + 1):
            with ThreadPoolExecutor(threads) as pool:
                names = [f.name] * (threads * _READS_PER_THREAD)
                measured[f"{threads} threads"] = _throughput(
                    lambda pool=pool, names=names: list(pool.map(hash_file, names)),  # type: ignore[misc]
                    len(names) * _PROBE_FILE,
                )
        if hash_file_split is not None and cores > 1:
            measured["one file on all cores"] = _throughput(
                lambda: [hash_file_split(f.name) for _ in range(_READS_PER_THREAD)],
                _READS_PER_THREAD * _PROBE_FILE,
            )
    workers = 1
    for threads in range(2, cores + 1):
        if measured[f"{threads} threads"] >= _BETTER * measured[f"{workers} threads"]:
            workers = threads
    split = measured.get("one file on all cores", 0.0) >= _BETTER * measured["1 threads"]
    rounded = {name: round(value, 3) for name, value in measured.items()}
    return HashingPlan(workers, split, rounded)


def save_plan(plan: HashingPlan, path: str | None = None) -> None:
    """Keep `plan` for the next process (atomically); an unwritable folder costs a warning."""
    target = path or probe_path()
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(asdict(plan), f)
            os.replace(temp, target)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError as error:
        log.warning("could not save the hashing probe %s: %s", target, error)
