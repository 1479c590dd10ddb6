"""How fast datastore copies are next to the tools they replace.

Measures, on one file of ``--size-mb`` (1 GB by default), a DataTransferStep run by its
task runtime (reuse key, marker and manifest included; ``regenerate_outputs`` so it copies
every time), each against an anchor timed in the same run:
- local -> local against ``cp``;
- the same onto an identical copy already in place (a retry) against ``cmp``;
- local -> Azurite against azure-storage-blob's own ``upload_blob(max_concurrency=4)``.
Each pair runs ``--runs`` times, interleaved (the order swaps every run) with ``sync`` before
each, warm (source in the page cache) and cold (page cache dropped before each run where the
machine allows it, else the source evicted with ``posix_fadvise``; the output says which).
Prints medians, every run, and the ratio speed(step) / speed(anchor) of the medians; the
targets are >= 0.8 of ``cp`` and >= 0.9 of ``upload_blob``. Also the cost of ``durable``
(fsync of the file and its folder) on the same local copy. Azurite is started (and installed
if missing) as the tests do.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "scripts"))  # local_services, which tests/support imports

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

Action = Callable[[], object]


def make_file(path: Path, size_mb: int) -> None:
    """A file of random bytes (incompressible, so no store can cheat)."""
    block = os.urandom(1024 * 1024)
    with open(path, "wb") as f:
        for i in range(size_mb):
            f.write(block[i % 251 :] + block[: i % 251])


class Cache:
    """Puts the files a run reads out of the page cache: all of them (``drop_caches``, as
    root) or, where that is refused, the given files (``POSIX_FADV_DONTNEED`` after sync)."""

    def __init__(self, files: list[Path]) -> None:
        self.files = files
        self.how = "page cache dropped before each run (drop_caches)"
        try:
            self._drop_all()
        except OSError:
            self.how = "source evicted before each run (posix_fadvise DONTNEED; no drop_caches)"

    def drop(self) -> None:
        os.sync()
        if self.how.endswith("(drop_caches)"):
            self._drop_all()
            return
        for file in self.files:
            fd = os.open(file, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)

    @staticmethod
    def _drop_all() -> None:
        with open("/proc/sys/vm/drop_caches", "w") as knob:
            knob.write("3\n")


def cpu_seconds() -> float:
    """CPU time of this process and its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def interleaved(
    runs: int, pairs: list[tuple[Action, Action]], cold: Cache | None = None
) -> list[list[tuple[float, float]]]:
    """(wall, cpu) seconds of each (action, reset) pair per run, the order swapped every run
    so neither always follows the other; ``sync`` (untimed) before each, and ``cold`` drops
    the page cache too. Dirty pages of earlier runs otherwise throttle whichever runs later."""
    times: list[list[tuple[float, float]]] = [[] for _ in pairs]
    for run in range(runs):
        order = list(range(len(pairs)))
        for i in order if run % 2 == 0 else order[::-1]:
            action, reset = pairs[i]
            reset()
            os.sync()
            if cold is not None:
                cold.drop()
            cpu, start = cpu_seconds(), time.perf_counter()
            action()
            times[i].append((time.perf_counter() - start, cpu_seconds() - cpu))
    return times


def load() -> str:
    """The machine's load averages, printed beside the figures."""
    return Path("/proc/loadavg").read_text().strip()


def warm_up(pairs: list[tuple[Action, Action]]) -> None:
    """Each action once, untimed: its first call imports SDKs and opens clients."""
    for action, reset in pairs:
        reset()
        action()


def median(times: list[tuple[float, float]]) -> float:
    return statistics.median(wall for wall, _ in times)


def describe(name: str, times: list[tuple[float, float]], mb: int) -> str:
    walls = " ".join(f"{wall:.2f}" for wall, _ in times)
    cpu = statistics.median(c for _, c in times)
    return (
        f"{name:>5} {median(times):6.2f} s ({mb / median(times):5.0f} MB/s, cpu {cpu:4.2f} s)"
        f"  runs: {walls}"
    )


def report(title: str, anchor: str, times: list[list[tuple[float, float]]], mb: int) -> None:
    """One figure: the anchor's and the step's medians, their runs, and the speed ratio."""
    ratio = median(times[0]) / median(times[1])
    print(f"{title}  ratio {ratio:.2f} (speed of the step / speed of {anchor}, medians)")
    print("  " + describe(anchor, times[0], mb))
    print("  " + describe("step", times[1], mb))


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


def local_pairs(src: Path, work: Path) -> list[tuple[Action, Action]]:
    """``cp`` and the step's local -> local copy of ``src``, each with its reset."""
    cp_target = work / "cp-copy.bin"
    ours_root = work / "ours"
    Datastore.register_local_folder(WORKSPACE, "bench_dst", str(ours_root), True)
    step = TransferTask(src, "bench_dst", "copy.bin")
    return [
        (
            lambda: subprocess.run(["cp", str(src), str(cp_target)], check=True),
            lambda: cp_target.unlink(missing_ok=True),
        ),
        (step, lambda: shutil.rmtree(ours_root, ignore_errors=True)),
    ]


def unchanged_pairs(src: Path, work: Path) -> list[tuple[Action, Action]]:
    """``cmp`` against an identical copy, and the step finding its identical copy in place
    (a retry, or a re-run onto a fixed destination): it compares and leaves it alone."""
    cmp_target = work / "cmp-copy.bin"
    shutil.copyfile(src, cmp_target)
    Datastore.register_local_folder(WORKSPACE, "bench_same", str(work / "same"), True)
    step = TransferTask(src, "bench_same", "copy.bin")
    step()
    return [
        (lambda: subprocess.run(["cmp", str(src), str(cmp_target)], check=True), lambda: None),
        (step, lambda: None),
    ]


def fsync_cost(src: Path, work: Path, runs: int, mb: int) -> None:
    """The same local copy with and without ``durable`` (fsync of the file and folder)."""
    from mlpipelines.storage.file_copy import copy_local

    plain, durable = work / "plain.bin", work / "durable.bin"
    times = interleaved(
        runs,
        [
            (lambda: copy_local(str(src), str(plain)), lambda: plain.unlink(missing_ok=True)),
            (
                lambda: copy_local(str(src), str(durable), durable=True),
                lambda: durable.unlink(missing_ok=True),
            ),
        ],
    )
    plain.unlink()
    durable.unlink()
    extra = median(times[1]) - median(times[0])
    print(f"durable local copy (fsync file + folder): +{extra:.2f} s a file of {mb} MB")
    print("  " + describe("plain", times[0], mb))
    print("  " + describe("fsync", times[1], mb))


def azurite_pairs(src: Path, server: Any) -> list[tuple[Action, Action]]:
    """upload_blob(max_concurrency=4) and the step's local -> Azurite copy, each reset by a
    fresh Azurite: its in-memory store frees deleted blobs only later, and 1 GB uploads
    would reach its size limit within a few runs."""
    from azure.storage.blob import BlobServiceClient

    def fresh() -> None:
        server.stop()
        server.start()
        server.create_container("bench")

    def container() -> Any:
        service = BlobServiceClient.from_connection_string(server.connection_string)
        return service.get_container_client("bench")

    def sdk_upload() -> None:
        with open(src, "rb") as f:
            container().upload_blob("sdk.bin", f, overwrite=True, max_concurrency=4)

    def check_then_fresh() -> None:
        """The step's last blob is whole, before the store goes."""
        blob = container().get_blob_client("ours.bin")
        if blob.exists():
            assert blob.get_blob_properties().size == src.stat().st_size
        fresh()

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
    return [(sdk_upload, fresh), (step, check_then_fresh)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="file size (default 1024)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each, for the medians")
    parser.add_argument("--local", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--azurite", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--fsync", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args(argv)
    logging.getLogger("mlpipelines").setLevel(logging.WARNING)  # one line a copy otherwise
    mb, runs = args.size_mb, args.runs
    print(f"{mb} MB, {runs} runs each; load {load()}")
    with tempfile.TemporaryDirectory(prefix="mlpipelines-bench-") as tmp:
        work = Path(tmp)
        src = work / "src" / "data.bin"
        src.parent.mkdir()
        make_file(src, mb)
        cold = Cache([src])
        print(f"cold: {cold.how}")
        if args.local:
            local = local_pairs(src, work)
            warm_up(local)
            report("local->local warm", "cp", interleaved(runs, local), mb)
            report("local->local cold", "cp", interleaved(runs, local, cold), mb)
            for _, reset in local:
                reset()
            same = unchanged_pairs(src, work)
            report("unchanged copy in place", "cmp", interleaved(runs, same), mb)
            shutil.rmtree(work / "same")
            os.unlink(work / "cmp-copy.bin")
        if args.fsync and args.local:
            fsync_cost(src, work, runs, mb)
        if args.azurite:
            server = start_azurite(work / "azurite")
            try:
                blob = azurite_pairs(src, server)
                warm_up(blob)
                report("local->azurite warm", "sdk", interleaved(runs, blob), mb)
                report("local->azurite cold", "sdk", interleaved(runs, blob, cold), mb)
                blob[1][1]()  # the step's last blob is whole
            finally:
                server.stop()
    print(f"load {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
