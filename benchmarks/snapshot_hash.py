"""Snapshot hashing and the unchanged-tree re-check, each beside its anchor from the same run.

(a) A ~1 GB tree of mixed sizes (2 x 200 MB, 40 x 10 MB, 2,000 x 100 KB, 10,000 x 4 KB):
    `take_snapshot` with an empty stat cache against the machine's best hash over the same
    files, streamed in 1 MiB pieces from Python: sha256 on 1 and 2 threads, blake3 on 1 thread
    and with its own threads (AUTO) for every file; `sha256sum` too. Warm page cache (after one
    read), then cold (page cache dropped before each run, where the machine allows it).
(b) 50,000 small files under a .gitignore, committed to a throwaway git repository in the same
    folder: `take_snapshot` of the unchanged tree with the stat cache it saved, against
    `git status` of the same files; warm, then cold (dentries and inodes dropped too). The
    walk with the C accelerator (`mlpipelines_native`, when installed) and without it
    (`MLPIPELINES_NATIVE=0`) are both timed.

Every figure is the median of --runs runs (default 5), the candidates interleaved run by run.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "provider"))
import blake3

from mlpipelines._collector import collection_paused
from mlpipelines.snapshot import ALGORITHM, StatCache, take_snapshot
from mlpipelines.snapshot.digest import hashing_plan
from mlpipelines.snapshot.walk import native_walk, snapshot_files, snapshot_stats

MIXED = ((2, 200_000_000), (40, 10_000_000), (2_000, 100_000), (10_000, 4_000))
SMALL_FILES = 50_000
RACY_WAIT = 2.1  # the stat cache does not trust files modified in the last 2 s
_POOL = os.urandom(64 << 20)
_PIECE = 1 << 20


def write_file(path: Path, size: int, seed: int) -> None:
    """`size` bytes, distinct per file, cut from a random pool (fast, and not compressible)."""
    offset = (seed * 7_919_993) % (len(_POOL) - 4096)
    with open(path, "wb") as f:
        f.write(seed.to_bytes(8, "little"))
        left = size - 8
        while left > 0:
            piece = _POOL[offset : offset + min(left, len(_POOL) - offset)]
            f.write(piece)
            left -= len(piece)
            offset = 0


def build_mixed(root: Path) -> int:
    seed = total = 0
    for count, size in MIXED:
        for i in range(count):
            folder = root / f"s{size}" / f"d{i // 500}"
            folder.mkdir(parents=True, exist_ok=True)
            write_file(folder / f"f{i}.bin", size, seed)
            seed += 1
            total += size
    return total


def build_small(root: Path) -> None:
    root.mkdir()
    (root / ".gitignore").write_text("*.pyc\n__pycache__/\n/build/\n*.log\n!keep.log\n")
    for i in range(SMALL_FILES):
        folder = root / f"pkg{i // 1000}" / f"mod{(i // 100) % 10}"
        if i % 100 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i}.py").write_bytes(_POOL[i * 97 : i * 97 + 500 + (i * 37) % 7_500])


def load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def can_drop_caches() -> bool:
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError:
        return False
    return True


def drop_caches() -> None:
    """The page cache, dentries and inodes, after writing back dirty pages (root only)."""
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def interleaved(
    cases: dict[str, Callable[[], object]], runs: int, before: Callable[[], None] | None = None
) -> dict[str, float]:
    """Median seconds of each case, the cases taking turns run by run."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, action in cases.items():
            if before is not None:
                before()
            times[name].append(timed(action))
    return {name: statistics.median(values) for name, values in times.items()}


def stream(path: str, hasher: object) -> None:
    with open(path, "rb", buffering=0) as f:
        buffer = bytearray(_PIECE)
        view = memoryview(buffer)
        while read := f.readinto(buffer):
            hasher.update(view[:read])  # type: ignore[attr-defined]


def hash_all(paths: list[str], new_hash: Callable[[], object], threads: int) -> None:
    if threads == 1:
        for path in paths:
            stream(path, new_hash())
        return
    largest_first = sorted(paths, key=os.path.getsize, reverse=True)
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda path: stream(path, new_hash()), largest_first, chunksize=8))


def mixed_cases(root: Path, work: Path) -> dict[str, Callable[[], object]]:
    paths = [str(root / relpath) for relpath in snapshot_files(root)]

    def ours() -> None:
        cache_dir = tempfile.mkdtemp(dir=work, prefix="cache-")
        take_snapshot(root, cache=StatCache.for_root(root, cache_dir=cache_dir))
        shutil.rmtree(cache_dir)

    return {
        "take_snapshot": ours,
        "sha256, 1 thread": lambda: hash_all(paths, hashlib.sha256, 1),
        "sha256, 2 threads": lambda: hash_all(paths, hashlib.sha256, 2),
        "blake3, 1 thread": lambda: hash_all(paths, blake3.blake3, 1),
        "blake3, AUTO": lambda: hash_all(
            paths, lambda: blake3.blake3(max_threads=blake3.blake3.AUTO), 1
        ),
        "sha256sum": lambda: subprocess.run(
            f"find {root} -type f -print0 | xargs -0 sha256sum > /dev/null", shell=True, check=True
        ),
    }


def report(title: str, medians: dict[str, float], total: int, ours: str) -> None:
    anchors = {name: t for name, t in medians.items() if name not in (ours, "sha256sum")}
    best_name = min(anchors, key=anchors.__getitem__)
    print(f"    {title}:")
    for name, seconds in medians.items():
        print(f"      {name:<18} {seconds:7.3f} s  {total / 1e9 / seconds:5.2f} GB/s")
    print(
        f"      take_snapshot / best ({best_name}): "
        f"{medians[best_name] / medians[ours]:.2f} of its speed  (target >= 0.9)"
    )


def part_a(work: Path, runs: int, cold: bool) -> None:
    root = work / "mixed"
    started = time.perf_counter()
    total = build_mixed(root)
    os.sync()
    print(
        f"(a) {total / 1e9:.2f} GB in 12,042 files, built in {time.perf_counter() - started:.0f} s"
    )
    plan = hashing_plan(1 << 30)  # the one-time probe, here rather than inside a timed run
    print(f"    hashing plan: {plan}" + ("" if plan.measured_gbps else " (not probed: busy)"))
    cases = mixed_cases(root, work)
    cases["sha256sum"]()  # warm-up read
    report(f"warm page cache, median of {runs}", interleaved(cases, runs), total, "take_snapshot")
    if cold:
        medians = interleaved(cases, runs, before=drop_caches)
        report(f"cold page cache, median of {runs}", medians, total, "take_snapshot")
    shutil.rmtree(root)


def python_walk(action: Callable[[], object]) -> Callable[[], object]:
    """`action` with the pure-Python walk (the fallback where the C module is missing)."""

    def run() -> None:
        os.environ["MLPIPELINES_NATIVE"] = "0"
        try:
            action()
        finally:
            del os.environ["MLPIPELINES_NATIVE"]

    return run


def paused(action: Callable[[], object]) -> Callable[[], object]:
    """As take_snapshot runs its walk: without cyclic collections over the stats."""

    def run() -> None:
        with collection_paused():
            action()

    return run


def report_recheck(medians: dict[str, float]) -> None:
    for name, seconds in medians.items():
        print(f"      {name:<30} {seconds:.3f} s")
    ratio = medians["take_snapshot"] / medians["git status"]
    print(f"      take_snapshot / git status: {ratio:.2f}  (target <= 2.0)")
    if "take_snapshot, Python walk" in medians:
        ratio = medians["take_snapshot, Python walk"] / medians["git status"]
        print(f"      take_snapshot, Python walk / git status: {ratio:.2f}")


def part_b(work: Path, runs: int, cold: bool) -> None:
    root = work / "small"
    started = time.perf_counter()
    build_small(root)
    git = ["git", "-C", str(root), "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    git += ["-c", "gc.auto=0"]  # no repack in the background while we time or remove it
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "bench"], check=True)
    print(f"(b) {SMALL_FILES:,} files built and committed in {time.perf_counter() - started:.1f} s")
    time.sleep(RACY_WAIT)  # so no file is "just modified" for the stat cache
    cache_dir = work / "cache-small"

    def ours() -> None:
        take_snapshot(root, cache=StatCache.for_root(root, cache_dir=cache_dir))

    def git_status() -> None:
        subprocess.run([*git, "status", "--porcelain"], check=True, stdout=subprocess.DEVNULL)

    os.environ.pop("MLPIPELINES_NATIVE", None)
    native = native_walk()
    first = timed(ours)
    git_status()
    cases = {"take_snapshot": ours, "git status": git_status}
    if native:
        cases["take_snapshot, Python walk"] = python_walk(ours)

    parts = {
        "  cache load": lambda: StatCache.for_root(root, cache_dir=cache_dir),
        "  walk + ignore rules": paused(lambda: snapshot_files(root)),
        "  walk + ignore + stat": paused(lambda: snapshot_stats(root)),
        "  walk + stat, 2 threads": paused(lambda: snapshot_stats(root, workers=2)),
    }
    if native:
        parts["  walk + ignore + stat, Python"] = python_walk(paused(lambda: snapshot_stats(root)))
    walk = "C accelerator (mlpipelines_native)" if native else "Python (mlpipelines_native missing)"
    print(f"    walk: {walk}")
    print(f"    first snapshot (empty cache): {first:.3f} s")
    for label, before in (("warm", None), ("cold", drop_caches if cold else None)):
        if label == "cold" and not cold:
            break
        medians = interleaved({**cases, **parts}, runs, before=before)
        print(f"    unchanged tree, {label} (page, dentry and inode caches), median of {runs}:")
        report_recheck(medians)
    shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--part", choices=("a", "b", "both"), default="both")
    args = parser.parse_args()
    cold = can_drop_caches()
    print(
        f"algorithm {ALGORITHM}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"load {load()}"
    )
    if not cold:
        print("cold-cache figures skipped: /proc/sys/vm/drop_caches is not writable (not root)")
    work = Path(tempfile.mkdtemp(prefix="mlp-bench-snapshot-"))
    try:
        if args.part in ("a", "both"):
            part_a(work, args.runs, cold)
        if args.part in ("b", "both"):
            part_b(work, args.runs, cold)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load after: {load()}")


if __name__ == "__main__":
    main()
