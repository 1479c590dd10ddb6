"""How fast datastore copies are next to the tools they replace.

Measures, on one file of ``--size-mb`` (1 GB by default), a DataTransferStep run by its
task runtime (reuse key, marker and manifest included; ``regenerate_outputs`` so it copies
every time):
- local -> local against ``cp``;
- local -> Azurite against azure-storage-blob's own ``upload_blob(max_concurrency=4)``.
Prints each time and the ratio speed(step) / speed(reference); the targets are >= 0.8.
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

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="mlpipelines-bench-home-"))

from mlpipelines import (  # noqa: E402
    DataReference,
    Datastore,
    DataTransferStep,
    Pipeline,
    Workspace,
)
from mlpipelines.model.planning import plan_pipeline  # noqa: E402
from mlpipelines.runtime.data_transfer import run_data_transfer_step  # noqa: E402
from mlpipelines.runtime.step_context import StepContext  # noqa: E402
from mlpipelines.storage.registration import (  # noqa: E402
    environment_name,
    environment_value,
    registration_body,
)
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


WORKSPACE = Workspace.current()


class TransferTask:
    """One DataTransferStep of ``src`` to ``target`` on datastore ``dest``, run as its task
    would run it: a new run id each time, ``regenerate_outputs`` on."""

    def __init__(self, src: Path, dest: str, target: str) -> None:
        ws = WORKSPACE
        source = Datastore.register_local_folder(ws, "bench_src", str(src.parent), True)
        step = DataTransferStep(
            "copy",
            DataReference(source, "source", src.name),
            DataReference(Datastore(ws, dest), "target", target),
        )
        (task,) = plan_pipeline(Pipeline(ws, [step])).tasks
        self.definition = task.definition
        self.runs = 0

    def __call__(self) -> None:
        self.runs += 1
        ctx = StepContext(
            "bench",
            f"run{self.runs}",
            "copy",
            params={"regenerate_outputs": True},
            pull_output=lambda *_: None,
        )
        result = run_data_transfer_step(self.definition, ctx)
        assert result.reused is None and result.metrics["files"] == 1, result


def local_ratio(src: Path, work: Path, runs: int) -> tuple[float, float]:
    """Seconds for cp and for the step's local -> local copy of ``src``."""
    cp_target = work / "cp-copy.bin"
    ours_root = work / "ours"
    Datastore.register_local_folder(WORKSPACE, "bench_dst", str(ours_root), True)
    step = TransferTask(src, "bench_dst", "copy.bin")
    cp, ours = best_of(
        runs,
        (
            lambda: subprocess.run(["cp", str(src), str(cp_target)], check=True),
            lambda: cp_target.unlink(missing_ok=True),
        ),
        (step, lambda: shutil.rmtree(ours_root, ignore_errors=True)),
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

        body = registration_body(
            "azure_blob",
            "bench_blob",
            container="bench",
            account_name=AZURITE_ACCOUNT,
            account_key=AZURITE_KEY,
            endpoint=server.endpoint,
            protocol="http",
        )
        os.environ[environment_name("bench_blob")] = environment_value(body)
        step = TransferTask(src, "bench_blob", "ours.bin")
        sdk, ours = best_of(
            runs,
            (sdk_upload, lambda: drop("sdk.bin")),
            (step, lambda: drop("ours.bin")),
        )
        size = container.get_blob_client("ours.bin").get_blob_properties().size
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
              f"step {ours_local:6.2f} s ({mb / ours_local:7.0f} MB/s)   "
              f"ratio {cp / ours_local:.2f}")  # fmt: skip
        sdk, ours_blob = azurite_ratio(src, work, args.runs)
        print(f"local->azurite  sdk {sdk:6.2f} s ({mb / sdk:5.0f} MB/s)   "
              f"step {ours_blob:6.2f} s ({mb / ours_blob:5.0f} MB/s)   "
              f"ratio {sdk / ours_blob:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
