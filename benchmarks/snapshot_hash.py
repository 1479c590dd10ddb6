"""Snapshot hashing: take_snapshot against `sha256sum` over the same files, and the stat cache.

(a) A ~1 GB tree of mixed sizes (2 x 200 MB, 40 x 10 MB, 2,000 x 100 KB, 10,000 x 4 KB): after
    one warm-up read (both sides see a warm page cache), `find | xargs -0 sha256sum` and
    `take_snapshot` with an empty stat cache run twice each, alternating. Also: one thread
    against the pool, and blake3 against hashlib's sha256 through the same code.
(b) 50,000 small files: the first snapshot (empty cache), then the unchanged tree again with
    the cache the first one saved (target < 1 s).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "provider"))
from mlpipelines.snapshot import ALGORITHM, StatCache, snapshot_files, take_snapshot
from mlpipelines.snapshot import digest as digest_module
from mlpipelines.snapshot.digest import hash_files

MIXED = ((2, 200_000_000), (40, 10_000_000), (2_000, 100_000), (10_000, 4_000))
SMALL_FILES = 50_000
RACY_WAIT = 2.1  # the stat cache does not trust files modified in the last 2 s
_POOL = os.urandom(64 << 20)


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


def timed(action) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def sha256sum(root: Path) -> None:
    command = f"find {root} -type f -print0 | xargs -0 sha256sum > /dev/null"
    subprocess.run(command, shell=True, check=True)


def ours(root: Path, work: Path) -> None:
    cache_dir = Path(tempfile.mkdtemp(dir=work, prefix="cache-"))
    take_snapshot(root, cache=StatCache.for_root(root, cache_dir=cache_dir))


def hash_only(root: Path, relpaths: list[str], workers: int, sha256: bool) -> float:
    saved = digest_module._blake3
    if sha256:
        digest_module._blake3 = None
    try:
        return timed(lambda: hash_files(root, relpaths, workers=workers))
    finally:
        digest_module._blake3 = saved


def part_a(work: Path) -> None:
    root = work / "mixed"
    started = time.perf_counter()
    total = build_mixed(root)
    os.sync()
    print(
        f"(a) {total / 1e9:.2f} GB in 12,042 files, built in {time.perf_counter() - started:.0f} s"
    )
    sha256sum(root)  # warm-up read: both sides below see a warm page cache
    rows: dict[str, list[float]] = {"sha256sum": [], "take_snapshot": []}
    for _ in range(2):
        rows["sha256sum"].append(timed(lambda: sha256sum(root)))
        rows["take_snapshot"].append(timed(lambda: ours(root, work)))
    for name, times in rows.items():
        runs = ", ".join(f"{t:.3f} s" for t in times)
        print(f"    {name:<14} {runs}   best {total / 1e6 / min(times):,.0f} MB/s")
    ratio = min(rows["take_snapshot"]) / min(rows["sha256sum"])
    print(f"    ratio take_snapshot / sha256sum (best of 2): {ratio:.2f}  (target <= 1.0)")
    relpaths = snapshot_files(root)
    print("    hash_files alone (no cache), best of 3:")
    for label, workers, sha256 in (
        (f"{ALGORITHM}, 1 thread ", 1, False),
        (f"{ALGORITHM}, 2 threads", 2, False),
        (f"{ALGORITHM}, 4 threads", 4, False),
        ("sha256, 1 thread ", 1, True),
        ("sha256, 2 threads", 2, True),
    ):
        best = min(hash_only(root, relpaths, workers, sha256) for _ in range(3))
        print(f"      {label}  {best:.3f} s  {total / 1e6 / best:,.0f} MB/s")
    shutil.rmtree(root)


def part_b(work: Path) -> None:
    root = work / "small"
    started = time.perf_counter()
    build_small(root)
    print(f"(b) {SMALL_FILES:,} files built in {time.perf_counter() - started:.1f} s", end="")
    print(f"; waiting {RACY_WAIT} s so none is 'just modified'")
    time.sleep(RACY_WAIT)
    cache_dir = work / "cache-small"
    cold = timed(lambda: take_snapshot(root, cache=StatCache.for_root(root, cache_dir=cache_dir)))
    warm_times = []
    for _ in range(3):
        warm_times.append(
            timed(lambda: take_snapshot(root, cache=StatCache.for_root(root, cache_dir=cache_dir)))
        )
    load = timed(lambda: StatCache.for_root(root, cache_dir=cache_dir))
    walk = timed(lambda: snapshot_files(root))
    print(f"    first snapshot (empty cache):  {cold:.3f} s")
    print(f"    unchanged tree, with cache:    {', '.join(f'{t:.3f} s' for t in warm_times)}")
    print(f"      of which: cache load {load:.3f} s, walk + ignore rules {walk:.3f} s")
    print(f"    target < 1 s: {'met' if max(warm_times) < 1 else 'MISSED'}")
    shutil.rmtree(root)


def main() -> None:
    print(f"algorithm {ALGORITHM}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    work = Path(tempfile.mkdtemp(prefix="mlp-bench-snapshot-"))
    try:
        part_a(work)
        part_b(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
