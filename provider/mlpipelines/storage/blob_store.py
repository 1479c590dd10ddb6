"""File contents on a datastore by their digest: one blob per distinct content, so snapshots
that share files store, upload and download each content once.

A blob lives at ``.mlpipelines/blobs/<algorithm>/<hex[:2]>/<hex>``. Its digest is checked on
the bytes that are about to become visible, and the blob appears whole or not at all
(``file_copy.write_checked``: a temporary renamed on a local folder or a share, a single
committed upload on Azure Blob or S3), so a blob's name always tells its content and a
digest of ``Snapshot.files`` names a blob without hashing anything again.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

from mlpipelines.errors import UserErrorException
from mlpipelines.records.reserved import INTERNAL_FOLDER
from mlpipelines.snapshot import ALGORITHM, file_digest
from mlpipelines.snapshot.digest import new_hash
from mlpipelines.snapshot.listing import check_hex
from mlpipelines.storage.file_copy import CHUNK, partial_name, write_checked
from mlpipelines.storage.location import StoreLocation

BLOBS_FOLDER = f"{INTERNAL_FOLDER}/blobs"
LOOKUP_PARALLELISM = 16
"""Concurrent existence checks on a remote store: each is one round trip."""


class BlobDigestMismatch(UserErrorException, ValueError):
    """Bytes given as a blob do not hash to its name; nothing was stored."""


class BlobStore:
    """The blobs of one datastore (a ``StoreLocation``), named by ``ALGORITHM`` digests."""

    def __init__(self, location: StoreLocation) -> None:
        self.location = location

    def relative(self, digest: str) -> str:
        """The datastore-relative path of a blob."""
        check_hex(digest)
        return f"{BLOBS_FOLDER}/{ALGORITHM}/{digest[:2]}/{digest}"

    def path(self, digest: str) -> str:
        """The fsspec path of a blob (a local path on a local folder)."""
        return self.location.path(self.relative(digest))

    def sizes(self, digests: Iterable[str]) -> dict[str, int | None]:
        """Each distinct digest's stored size, None where the blob is not there (remote
        stores are asked concurrently: one round trip per blob)."""
        wanted = list(dict.fromkeys(check_hex(d) for d in digests))
        if self.location.is_local:
            return {d: _local_size(self.path(d)) for d in wanted}
        self.location.fs.invalidate_cache()  # adlfs answers info() from stale listings
        if len(wanted) <= 1:
            return {d: self._remote_size(d) for d in wanted}
        with ThreadPoolExecutor(min(LOOKUP_PARALLELISM, len(wanted))) as pool:
            return dict(zip(wanted, pool.map(self._remote_size, wanted), strict=True))

    def missing(self, digests: Iterable[str]) -> list[str]:
        """The digests among ``digests`` (each once, in order) that have no blob yet."""
        return [d for d, size in self.sizes(digests).items() if size is None]

    def has(self, digest: str) -> bool:
        """Whether the blob ``digest`` is stored."""
        return self.sizes([digest])[digest] is not None

    def put(
        self,
        digest: str,
        local_file: str | os.PathLike[str],
        move: bool = False,
        known_missing: bool = False,
    ) -> bool:
        """Store the local file as blob ``digest`` unless it is there; True when stored now.

        The digest is checked on what is about to be shown (BlobDigestMismatch, nothing
        stored, otherwise). ``move`` lets a local store take the file itself (renamed, not
        copied): an upload's staging file becomes the blob without a second copy; the file
        is gone afterwards unless storing failed for another reason than its content.
        ``known_missing`` skips asking whether it is there (the caller just asked).
        """
        target = self.path(digest)
        if not known_missing and self.has(digest):
            if move:
                _remove(local_file)
            return False
        try:
            if self.location.is_local:
                _put_local(digest, os.fspath(local_file), target, move)
            else:
                self._put_remote(digest, os.fspath(local_file), target)
        except BlobDigestMismatch:
            if move:
                _remove(local_file)
            raise
        if move:
            _remove(local_file)
        return True

    def open(self, digest: str) -> IO[bytes]:
        """The blob opened for reading (a local file, or a remote file read in chunks)."""
        if self.location.is_local:
            return open(self.path(digest), "rb")
        handle: IO[bytes] = self.location.fs.open(self.path(digest), "rb", block_size=CHUNK)
        return handle

    def get(self, digest: str, local_file: str | os.PathLike[str]) -> None:
        """Copy blob ``digest`` to ``local_file``, checked and renamed into place."""
        target = os.fspath(local_file)
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        partial = partial_name(target)
        try:
            if self.location.is_local:
                shutil.copyfile(self.path(digest), partial)
            else:
                self.location.fs.get_file(self.path(digest), partial)
            _check(digest, file_digest(partial), self.location.describe(self.relative(digest)))
            os.replace(partial, target)
        except BaseException:
            _remove(partial)
            raise

    def _remote_size(self, digest: str) -> int | None:
        try:
            info = self.location.fs.info(self.path(digest))
        except OSError as exc:
            if isinstance(exc, FileNotFoundError) or exc.errno == errno.ENOENT:
                return None  # smbprotocol raises SMBOSError(ENOENT), not FileNotFoundError
            raise self.location.error("cannot be read", exc, self.relative(digest)) from None
        return int(info.get("size") or 0)

    def _put_remote(self, digest: str, source: str, target: str) -> None:
        hasher = new_hash()

        def chunks() -> Iterator[bytes]:
            with open(source, "rb") as f:
                while chunk := f.read(CHUNK):
                    hasher.update(chunk)
                    yield chunk

        def check() -> None:
            _check(digest, hasher.hexdigest(), source)

        try:
            write_checked(self.location, target, chunks(), check)
        except BlobDigestMismatch:
            raise
        except Exception as exc:
            raise self.location.error("refused a blob", exc, self.relative(digest)) from None


def _put_local(digest: str, source: str, target: str, move: bool) -> None:
    """Copy (or, with ``move``, rename) ``source`` next to ``target``, hash that copy, and
    rename it over ``target`` only when it matches."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    partial = partial_name(target)
    try:
        if move:
            try:
                os.rename(source, partial)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                shutil.copyfile(source, partial)  # staging on another filesystem
        else:
            shutil.copyfile(source, partial)  # copy_file_range: no Python byte loop
        _check(digest, file_digest(partial), source)
        os.replace(partial, target)
    except BaseException:
        _remove(partial)
        raise


def _check(expected: str, actual: str, what: str) -> None:
    if actual != expected:
        raise BlobDigestMismatch(
            f"{what}: content hashes to {ALGORITHM} {actual}, not {expected} as named"
        )


def _local_size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return None


def _remove(path: str | os.PathLike[str]) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def machine_blob_cache() -> Path:
    """This machine's cache of fetched blobs (shared by all datastores: a digest names the
    same content wherever it came from)."""
    return Path(tempfile.gettempdir()) / "mlpipelines-blobs" / ALGORITHM


def cached_blobs(
    store: BlobStore, digests: Iterable[str], cache: Path, workers: int = 8
) -> dict[str, Path]:
    """Each digest's file in the local ``cache``, fetched (checked) from ``store`` where it
    is not there yet, several at a time."""
    wanted = list(dict.fromkeys(digests))
    paths = {d: cache / d[:2] / d for d in wanted}
    absent = [d for d in wanted if not paths[d].is_file()]

    def fetch(digest: str) -> None:
        store.get(digest, paths[digest])

    if len(absent) <= 1:
        for digest in absent:
            fetch(digest)
    else:
        with ThreadPoolExecutor(min(workers, len(absent))) as pool:
            list(pool.map(fetch, absent))
    return paths
