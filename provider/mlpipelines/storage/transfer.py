"""Copy files between any two datastores, and to and from this machine.

Each file is streamed (never held whole in memory), checked for size (and MD5 where both sides
give one cheaply) and made visible in one step (see ``file_copy``); many files go through a
thread pool. Existing destination files are skipped unless ``overwrite=True``, and even then a
file whose size and checksum (between local folders: bytes) already match is left alone, so a
retry after a failure only copies what is missing.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.records.paths import clean_relative_path
from mlpipelines.storage.file_copy import copy_file
from mlpipelines.storage.fingerprint import cheap_md5, list_files, local_md5
from mlpipelines.storage.local_copy import same_bytes
from mlpipelines.storage.location import DatastoreAccessError, StoreLocation

REMOTE_PARALLELISM = 8
LOCAL_PARALLELISM = 2


class TransferError(DatastoreAccessError):
    """A file could not be copied; the message names both datastores and the path."""


@dataclass
class TransferResult:
    """What a transfer did: files copied and skipped, and bytes copied."""

    copied: int = 0
    skipped: int = 0
    bytes: int = 0
    paths: list[str] = field(default_factory=list)

    @property
    def files(self) -> int:
        """Files copied or already in place."""
        return self.copied + self.skipped


@dataclass(frozen=True)
class _Job:
    src: StoreLocation
    src_rel: str
    dst: StoreLocation
    dst_rel: str
    size: int
    info: dict[str, Any]


def copy(
    src: StoreLocation,
    src_rel: str | None,
    dst: StoreLocation,
    dst_rel: str | None,
    overwrite: bool = False,
    show_progress: bool = False,
    parallelism: int | None = None,
) -> TransferResult:
    """Copy the file or folder ``src_rel`` of ``src`` to ``dst_rel`` on ``dst``.

    A file lands at ``dst_rel`` itself; a folder's files land below ``dst_rel``.
    """
    src_rel = clean_relative_path(src_rel, "source path")
    dst_rel = clean_relative_path(dst_rel, "destination path")
    try:
        listed = list_files(src, src_rel)
    except FileNotFoundError:
        raise UserErrorException(f"nothing to copy at {src.describe(src_rel)}") from None
    except Exception as exc:
        raise src.error("cannot be listed", exc, src_rel) from None
    jobs = []
    for below, info in listed:
        target = "/".join(p for p in (dst_rel, below) if p) or src_rel.rsplit("/", 1)[-1]
        rel = "/".join(p for p in (src_rel, below) if p)
        jobs.append(_Job(src, rel, dst, target, int(info.get("size") or 0), info))
    return run_jobs(jobs, overwrite, show_progress, parallelism)


def upload_files(
    files: Iterable[str | os.PathLike[str]],
    dst: StoreLocation,
    target_path: str | None = None,
    relative_root: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    show_progress: bool = False,
    parallelism: int | None = None,
) -> TransferResult:
    """Upload local files under ``target_path``, keeping their paths below ``relative_root``
    (default: each file's own folder)."""
    target = clean_relative_path(target_path, "target_path")
    jobs = []
    for file in files:
        src_file = Path(file).resolve()
        if not src_file.is_file():
            raise UserErrorException(f"upload source '{file}' is not a file")
        base = Path(relative_root).resolve() if relative_root else src_file.parent
        try:
            below = src_file.relative_to(base).as_posix()
        except ValueError:
            raise UserErrorException(f"'{file}' is not below relative_root '{base}'") from None
        local = StoreLocation.local(base, datastore="local")
        dst_rel = "/".join(p for p in (target, below) if p)
        jobs.append(_Job(local, below, dst, dst_rel, src_file.stat().st_size, {}))
    return run_jobs(jobs, overwrite, show_progress, parallelism)


def upload_folder(
    src_dir: str | os.PathLike[str],
    dst: StoreLocation,
    target_path: str | None = None,
    overwrite: bool = False,
    show_progress: bool = False,
    parallelism: int | None = None,
) -> TransferResult:
    """Upload a local folder's files under ``target_path``."""
    if not Path(src_dir).is_dir():
        raise UserErrorException(f"upload source '{src_dir}' is not a folder")
    local = StoreLocation.local(src_dir, datastore="local")
    return copy(local, "", dst, target_path, overwrite, show_progress, parallelism)


def download(
    src: StoreLocation,
    prefix: str | None,
    target_path: str | os.PathLike[str],
    overwrite: bool = False,
    show_progress: bool = False,
    parallelism: int | None = None,
) -> TransferResult:
    """Download the files under ``prefix`` into ``target_path``, keeping their datastore paths
    (as the old SDK's ``Datastore.download`` does)."""
    local = StoreLocation.local(target_path, datastore="local")
    rel = clean_relative_path(prefix, "prefix")
    return copy(src, rel, local, rel, overwrite, show_progress, parallelism)


def run_jobs(
    jobs: list[_Job], overwrite: bool, show_progress: bool, parallelism: int | None
) -> TransferResult:
    """Copy every job, many at a time; the first failure stops the rest and is raised."""
    result = TransferResult()
    if not jobs:
        return result
    remote = any(not (j.src.is_local and j.dst.is_local) for j in jobs)
    workers = max(1, parallelism or (REMOTE_PARALLELISM if remote else LOCAL_PARALLELISM))
    kinds = {j.src.datastore_kind for j in jobs} | {j.dst.datastore_kind for j in jobs}
    if not all(kind.parallel_copies for kind in kinds):
        workers = 1
    lock = threading.Lock()
    for dst in {id(j.dst): j.dst for j in jobs}.values():
        dst.fs.invalidate_cache()
    with _progress(jobs, show_progress) as bar:

        def one(job: _Job) -> None:
            copied = _copy_job(job, overwrite, bar)
            with lock:
                if copied:
                    result.copied += 1
                    result.bytes += job.size
                else:
                    result.skipped += 1
                result.paths.append(job.dst_rel)
            if bar is not None:
                bar.file_done(job.size if not copied else 0)

        if workers == 1 or len(jobs) == 1:
            for job in jobs:
                one(job)
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="mlpipelines-transfer") as pool:
                futures = [pool.submit(one, job) for job in jobs]
                wait(futures, return_when=FIRST_EXCEPTION)
                failed = [f for f in futures if f.done() and f.exception() is not None]
                if failed:
                    for f in futures:
                        f.cancel()
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise failed[0].exception()  # type: ignore[misc]
    result.paths.sort()
    return result


def _copy_job(job: _Job, overwrite: bool, bar: Any) -> bool:
    """Copy one file unless an equal one is in place; True when bytes were copied."""
    src_path = job.src.path(job.src_rel)
    dst_path = job.dst.path(job.dst_rel)
    try:
        existing = _info_or_none(job.dst, dst_path)
        if existing is not None:
            if existing.get("type") == "directory":
                raise IsADirectoryError(f"destination {job.dst_rel} is a folder")
            if not overwrite or _same_content(job, src_path, dst_path, existing):
                return False
        streamed_md5 = copy_file(
            job.src, src_path, job.dst, dst_path, bar.advance if bar is not None else None
        )
        _verify(job, dst_path, streamed_md5)
    except (UserErrorException, TransferError):
        raise
    except Exception as exc:
        raise _failure(job, exc) from None
    return True


def _verify(job: _Job, dst_path: str, streamed_md5: str | None) -> None:
    if job.dst.is_local:
        size = os.stat(dst_path).st_size
        info: dict[str, Any] = {}
    else:
        job.dst.fs.invalidate_cache(dst_path)
        info = job.dst.fs.info(dst_path)
        size = int(info.get("size") or 0)
    if size != job.size:
        _remove_quietly(job.dst, dst_path)
        raise TransferError(
            f"copying {job.src.describe(job.src_rel)} to {job.dst.describe(job.dst_rel)}: "
            f"size after copy is {size} bytes, expected {job.size}; the copy was removed"
        )
    stored = cheap_md5(info)
    if streamed_md5 and stored and streamed_md5 != stored:
        _remove_quietly(job.dst, dst_path)
        raise TransferError(
            f"copying {job.src.describe(job.src_rel)} to {job.dst.describe(job.dst_rel)}: "
            "MD5 after copy differs from the bytes sent; the copy was removed"
        )


def _same_content(job: _Job, src_path: str, dst_path: str, existing: dict[str, Any]) -> bool:
    """Same size and same bytes: compared directly when both sides are local, else the same
    MD5 (from the stores, or by reading a local side)."""
    if int(existing.get("size") or 0) != job.size:
        return False
    if job.src.is_local and job.dst.is_local:
        return same_bytes(src_path, dst_path)
    src_md5 = cheap_md5(job.info) or (local_md5(src_path) if job.src.is_local else None)
    dst_md5 = cheap_md5(existing) or (local_md5(dst_path) if job.dst.is_local else None)
    return src_md5 is not None and src_md5 == dst_md5


def _info_or_none(loc: StoreLocation, path: str) -> dict[str, Any] | None:
    if loc.is_local:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return None
        kind = "directory" if os.path.isdir(path) else "file"
        return {"size": st.st_size, "type": kind, "mtime": st.st_mtime}
    try:
        return loc.fs.info(path)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError) or exc.errno == errno.ENOENT:
            return None  # smbprotocol raises SMBOSError(ENOENT), not FileNotFoundError
        raise


def _remove_quietly(loc: StoreLocation, path: str) -> None:
    with suppress(Exception):
        loc.fs.rm_file(path)


def _failure(job: _Job, exc: BaseException) -> TransferError:
    detail = job.dst.scrub(job.src.scrub(f"{type(exc).__name__}: {exc}"))
    return TransferError(
        f"copying {job.src.describe(job.src_rel)} ({job.src.kind}) to "
        f"{job.dst.describe(job.dst_rel)} ({job.dst.kind}) failed: {detail}"
    )


class _Bar:
    """A rich progress bar of bytes and files, shared by the worker threads."""

    def __init__(self, progress: Any, total_bytes: int, total_files: int) -> None:
        self.progress = progress
        self.task = progress.add_task("copy", total=total_bytes, files=f"0/{total_files}")
        self.total_files = total_files
        self.files = 0
        self.lock = threading.Lock()

    def advance(self, n: int) -> None:
        self.progress.advance(self.task, n)

    def file_done(self, skipped_bytes: int) -> None:
        with self.lock:
            self.files += 1
            self.progress.update(
                self.task, advance=skipped_bytes, files=f"{self.files}/{self.total_files}"
            )


def _progress(jobs: list[_Job], show: bool) -> Any:
    if not show:
        return nullcontext(None)
    from contextlib import contextmanager

    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    @contextmanager
    def bar() -> Any:
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[files]} files"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, transient=False) as progress:
            yield _Bar(progress, sum(j.size for j in jobs), len(jobs))

    return bar()
