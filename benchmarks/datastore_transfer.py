"""How fast datastore copies are next to the tools they replace.

Measures, on one file of ``--size-mb`` (1 GB by default):
- local -> local: ``mlpipelines.storage.transfer.copy`` against ``cp``;
- local -> Azurite: the same copy against azure-storage-blob's own
  ``upload_blob(max_concurrency=4)``.
Prints each time and the ratio speed(ours) / speed(reference); the targets are >= 0.8.
Azurite is started (and installed if missing) as the tests do.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from mlpipelines.storage import StoreLocation  # noqa: E402
from mlpipelines.storage.registration import azure_blob_body  # noqa: E402
from mlpipelines.storage.transfer import copy  # noqa: E402
from support.storage_servers import (  # noqa: E402
    AZURITE_ACCOUNT,
    AZURITE_KEY,
    start_azurite,
)


def make_file(path: Path, size_mb: int) -> None:
    """A file of random bytes (incompressible, so no store can cheat)."""
    block = os.urandom(1024 * 1024)
    with open(path, "wb") as f:
        for i in range(size_mb):
            f.write(block[i % 251 :] + block[: i % 251])


def timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def best_of(runs: int, first: tuple[object, object], second: tuple[object, object]) -> list[float]:
    """Best time of each (action, reset) pair, runs interleaved so both meet the same disk.

    Dirty pages from earlier runs otherwise throttle whichever runs later: ``sync`` (untimed)
    before each run starts both from a clean page cache.
    """
    times: list[list[float]] = [[], []]
    for _ in range(runs):
        for i, (action, reset) in enumerate((first, second)):
            reset()  # type: ignore[operator]
            os.sync()
            times[i].append(timed(action))
    return [min(t) for t in times]


def local_ratio(src: Path, work: Path, runs: int) -> tuple[float, float]:
    """Seconds for cp and for our local -> local copy of ``src``."""
    cp_target = work / "cp-copy.bin"
    ours_root = work / "ours"
    src_loc = StoreLocation.local(src.parent, "bench-src")
    dst_loc = StoreLocation.local(ours_root, "bench-dst")
    cp, ours = best_of(
        runs,
        (
            lambda: subprocess.run(["cp", str(src), str(cp_target)], check=True),
            lambda: cp_target.unlink(missing_ok=True),
        ),
        (
            lambda: copy(src_loc, src.name, dst_loc, "copy.bin"),
            lambda: shutil.rmtree(ours_root, ignore_errors=True),
        ),
    )
    return cp, ours


def azurite_ratio(src: Path, work: Path, runs: int) -> tuple[float, float]:
    """Seconds for azure-storage-blob upload_blob(max_concurrency=4) and for our copy."""
    from azure.storage.blob import BlobServiceClient

    server = start_azurite(work / "azurite")
    try:
        server.create_container("bench")
        service = BlobServiceClient.from_connection_string(server.connection_string)
        container = service.get_container_client("bench")

        def sdk_upload() -> None:
            with open(src, "rb") as f:
                container.upload_blob("sdk.bin", f, overwrite=True, max_concurrency=4)

        def drop(name: str) -> None:
            if container.get_blob_client(name).exists():
                container.delete_blob(name)

        body = azure_blob_body(
            "bench-blob",
            container="bench",
            account_name=AZURITE_ACCOUNT,
            account_key=AZURITE_KEY,
            endpoint=server.endpoint,
            protocol="http",
        )
        from types import SimpleNamespace

        from mlpipelines.storage.connections import location_from_connection

        dst = location_from_connection("bench-blob", SimpleNamespace(**body))
        src_loc = StoreLocation.local(src.parent, "bench-src")
        sdk, ours = best_of(
            runs,
            (sdk_upload, lambda: drop("sdk.bin")),
            (lambda: copy(src_loc, src.name, dst, "ours.bin"), lambda: drop("ours.bin")),
        )
        size = dst.fs.info(dst.path("ours.bin"))["size"]
        assert size == src.stat().st_size, size
        return sdk, ours
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="file size (default 1024)")
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs each")
    args = parser.parse_args(argv)
    mb = args.size_mb
    with tempfile.TemporaryDirectory(prefix="mlpipelines-bench-") as tmp:
        work = Path(tmp)
        src = work / "src" / "data.bin"
        src.parent.mkdir()
        make_file(src, mb)
        cp, ours_local = local_ratio(src, work, args.runs)
        print(f"local->local  cp {cp:6.2f} s ({mb / cp:7.0f} MB/s)   "
              f"ours {ours_local:6.2f} s ({mb / ours_local:7.0f} MB/s)   "
              f"ratio {cp / ours_local:.2f}")  # fmt: skip
        sdk, ours_blob = azurite_ratio(src, work, args.runs)
        print(f"local->azurite  sdk {sdk:6.2f} s ({mb / sdk:5.0f} MB/s)   "
              f"ours {ours_blob:6.2f} s ({mb / ours_blob:5.0f} MB/s)   "
              f"ratio {sdk / ours_blob:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
