"""Snapshot upload over REST: a ~200 MB source folder of a few hundred incompressible files
sent to a local Airflow through the plugin's snapshot routes (as a token-only client's
submit does: snapshot, missing, chunks, commit), then sent again after one file changed.
Baseline: ``shutil.copytree`` of the same folder, in the same run. Target: the re-upload
with one changed file costs <= 2 s.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from airflow_session import running_airflow

from mlpipelines.client.airflow_api import AirflowApi
from mlpipelines.client.snapshot_upload import upload_snapshot
from mlpipelines.snapshot import take_snapshot

MB = 1_000_000


def make_source(folder: Path, total_mb: int, files: int, seed: int = 7) -> int:
    """``files`` files of random bytes (a few big ones, many small) in nested folders."""
    rng = random.Random(seed)
    big = max(1, files // 100)
    big_bytes = total_mb * MB // 2 // big
    small_bytes = (total_mb * MB - big * big_bytes) // (files - big)
    written = 0
    for i in range(files):
        size = big_bytes if i < big else max(1, int(small_bytes * rng.uniform(0.5, 1.5)))
        path = folder / f"pkg{i % 12}" / f"sub{i % 5}" / f"file{i:04d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
        written += size
    return written


def timed_upload(api: AirflowApi, src: Path) -> tuple[float, int, int]:
    """Seconds to snapshot and upload ``src``; files and bytes that went up."""
    start = time.perf_counter()
    uploaded = upload_snapshot(api, take_snapshot(src))
    return time.perf_counter() - start, len(uploaded.sent), uploaded.sent_bytes


def measure(
    api: AirflowApi, src: Path, work: Path
) -> tuple[float, float, int, int, float, int, int]:
    """copytree, first upload, one file changed and uploaded again."""
    os.sync()
    start = time.perf_counter()
    shutil.copytree(src, work / "copy")
    copy_seconds = time.perf_counter() - start
    os.sync()
    first, files, sent = timed_upload(api, src)
    changed = sorted(src.rglob("*.bin"))[-1]  # a small file
    changed.write_bytes(os.urandom(changed.stat().st_size))
    again, again_files, again_sent = timed_upload(api, src)
    api.close()
    return copy_seconds, first, files, sent, again, again_files, again_sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=200, help="size of the folder (default 200)")
    parser.add_argument("--files", type=int, default=300, help="files in it (default 300)")
    parser.add_argument(
        "--config",
        help="a client config.json of a running deployment (e.g. a cluster.sh DIR/client/"
        "config.json) instead of starting a local Airflow",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mlp-bench-upload-"))
    src = work / "src"
    written = make_source(src, args.mb, args.files)
    print(f"source: {args.files} files, {written / MB:.0f} MB of random bytes")
    dags = work / "dags"
    dags.mkdir()
    try:
        if args.config:
            from mlpipelines.model.workspace import Workspace

            api = AirflowApi.from_workspace(Workspace.from_config(args.config))
            copy_seconds, first, files, sent, again, again_files, again_sent = measure(
                api, src, work
            )
        else:
            with running_airflow(work / "home", dags) as admin:
                api = AirflowApi(admin.base_url, token=admin.token())  # a token-only client
                copy_seconds, first, files, sent, again, again_files, again_sent = measure(
                    api, src, work
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"shutil.copytree          {copy_seconds:6.2f} s\n"
        f"first upload             {first:6.2f} s  ({files} files, {sent / MB:.0f} MB, "
        f"{sent / MB / first:.0f} MB/s)  ratio to copytree {first / copy_seconds:.1f}\n"
        f"re-upload, 1 file changed {again:5.2f} s  ({again_files} file, "
        f"{again_sent / MB:.2f} MB)  ratio to copytree {again / copy_seconds:.2f}  "
        f"target <= 2 s: {'met' if again <= 2.0 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
