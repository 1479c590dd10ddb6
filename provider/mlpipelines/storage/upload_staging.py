"""Chunked uploads a server is receiving, before they become blobs: one partial file per
digest (and declared size) in a local folder, appended to only at exactly its length.

That one rule makes every request safe to repeat and every upload resumable: a chunk sent
twice, or from a stale offset, is refused with the length there is, and the client goes on
from that. A file lock serialises requests for one upload across the API server's worker
processes; since a digest names one content, two clients uploading the same file add to the
same partial file without harm.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mlpipelines.errors import UserErrorException
from mlpipelines.snapshot import ALGORITHM
from mlpipelines.snapshot.listing import check_hex

UPLOAD_CHUNK_BYTES = 8 << 20
"""The most one request of a chunked upload carries (client and plugin agree on it)."""
PART_SUFFIX = ".part"
STALE_SECONDS = 7 * 24 * 3600
"""Partial uploads untouched this long are dropped when another upload starts."""


class OffsetMismatch(UserErrorException):
    """A chunk's offset is not the length received so far; ``received`` says what is."""

    def __init__(self, digest: str, offset: int, received: int) -> None:
        self.received = received
        super().__init__(
            f"blob {digest}: chunk offset {offset} is not the {received} bytes received so "
            f"far; send from offset {received}"
        )


@dataclass(frozen=True)
class UploadState:
    """Bytes received of an upload of ``size`` bytes."""

    received: int
    size: int


class UploadStaging:
    """Partial uploads under ``folder`` (``<folder>/<algorithm>/<hex>.<size>.part``)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder) / ALGORITHM

    def state(self, digest: str) -> UploadState | None:
        """The upload of ``digest`` in progress (the furthest, if sizes differ), or None."""
        found = [self._state(path) for path in self._parts(digest)]
        known = [s for s in found if s is not None]
        return max(known, key=lambda s: s.received) if known else None

    def receive(
        self,
        digest: str,
        size: int,
        offset: int,
        chunk: bytes,
        finish: Callable[[Path], object],
    ) -> int:
        """Append ``chunk`` at ``offset`` of the upload of ``digest`` (``size`` bytes in
        all); the bytes received after it. Once all are there, ``finish(path)`` runs under
        the same lock and takes the file (a blob store's ``put(move=True)``); a chunk that
        completes nothing new (an empty chunk at the end) runs it again, so a finish that
        failed can be retried."""
        check_hex(digest)
        if size < 0 or not 0 <= offset <= size or offset + len(chunk) > size:
            raise UserErrorException(
                f"blob {digest}: a chunk of {len(chunk)} bytes at offset {offset} does not "
                f"fit a file of {size} bytes"
            )
        path = self.folder / f"{digest}.{size}{PART_SUFFIX}"
        start = offset == 0
        if start and not path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            self._drop_stale()
        with _locked(path, create=start) as fd:
            received = os.fstat(fd).st_size if fd is not None else 0
            if fd is None or offset != received:
                raise OffsetMismatch(digest, offset, received)
            _write_all(fd, chunk)
            received += len(chunk)
            if received == size:
                finish(path)
        return received

    def discard(self, digest: str) -> None:
        """Drop every partial upload of ``digest``."""
        for path in self._parts(digest):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _parts(self, digest: str) -> list[Path]:
        check_hex(digest)
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob(f"{digest}.*{PART_SUFFIX}"))

    @staticmethod
    def _state(path: Path) -> UploadState | None:
        try:
            received = path.stat().st_size
        except FileNotFoundError:
            return None
        size = path.name[: -len(PART_SUFFIX)].rsplit(".", 1)[1]
        return UploadState(received, int(size))

    def _drop_stale(self) -> None:
        cutoff = time.time() - STALE_SECONDS
        for path in self.folder.glob(f"*{PART_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


@contextlib.contextmanager
def _locked(path: Path, create: bool) -> Iterator[int | None]:
    """``path`` opened for appending under an exclusive lock (None when it is not there and
    ``create`` is false); if another holder renamed or removed it meanwhile (a finished
    upload), the lock is taken again on the file there is now."""
    import fcntl  # POSIX, where API servers run; clients import this module's constant only

    flags = os.O_RDWR | os.O_APPEND | (os.O_CREAT if create else 0)
    while True:
        try:
            # Readable like any copied file: it is renamed into a local datastore as is,
            # and workers (maybe other users) read the snapshot built from it.
            fd = os.open(path, flags, 0o644)
        except FileNotFoundError:
            yield None
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
        except BaseException:
            os.close(fd)
            raise
        if same:
            break
        os.close(fd)
    try:
        yield fd
    finally:
        os.close(fd)
