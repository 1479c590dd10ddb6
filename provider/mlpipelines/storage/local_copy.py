"""The bytes of one local file into a new one with the fastest primitive the kernel offers.

In order: a reflink (``FICLONE``: the copy shares the source's blocks, btrfs/XFS/bcachefs),
``copy_file_range`` (in the kernel, server-side on NFS 4.2 and SMB), ``sendfile``, then a
read/write loop. A primitive the filesystem refuses before it copied anything hands over to the
next one, which goes on from the same offsets. The bytes never pass through Python (except in
the last fallback), so nothing is read twice: callers check the size, as ``cp`` would.
And whether two local files hold the same bytes, compared directly (no digest to compute).
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Callable, Sequence

FICLONE = 0x40049409  # _IOW(0x94, 9, int), linux/fs.h
CHUNK = 64 * 1024 * 1024  # one syscall per chunk: progress reports, cancellable between
READ_CHUNK = 8 * 1024 * 1024
METHODS = ("reflink", "copy_file_range", "sendfile", "read_write")

# What a filesystem or kernel answers when it lacks a primitive (or for these two files).
_UNSUPPORTED = {
    errno.EXDEV,
    errno.EOPNOTSUPP,
    errno.ENOTSUP,
    errno.ENOSYS,
    errno.EINVAL,
    errno.ENOTTY,
    errno.EBADF,
    errno.ETXTBSY,
    errno.EPERM,
}


class _Unsupported(Exception):
    """The primitive cannot copy these two files; the next one is tried."""


def copy_into_new_file(
    src_path: str,
    dst_path: str,
    methods: Sequence[str] = METHODS,
    progress: Callable[[int], None] | None = None,
    durable: bool = False,
) -> str:
    """Create ``dst_path`` (it must not exist) with the bytes of ``src_path``; the name of the
    primitive that copied them.

    ``methods`` (a subsequence of ``METHODS``) is the seam tests use to force a fallback;
    ``progress(done)`` is called with the bytes copied so far; ``durable`` fsyncs the new
    file before it is closed. The new file is left as far as it got when this raises.
    """
    src = os.open(src_path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(src).st_size
        dst = os.open(dst_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        try:
            used = _copy_fds(src, dst, size, methods, progress)
            if durable:
                os.fsync(dst)
            return used
        finally:
            os.close(dst)
    finally:
        os.close(src)


def same_bytes(a_path: str, b_path: str) -> bool:
    """Whether two local files hold the same bytes: sizes, then the bytes themselves, read
    side by side in chunks up to the first difference.

    Both sides are read either way, so a digest would only add its own CPU time: MD5 runs
    slower than the reads themselves, a comparison far faster.
    """
    with open(a_path, "rb", buffering=0) as a, open(b_path, "rb", buffering=0) as b:
        size = os.fstat(a.fileno()).st_size
        if size != os.fstat(b.fileno()).st_size:
            return False
        for f in (a, b):
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
        a_buffer, b_buffer = bytearray(READ_CHUNK), bytearray(READ_CHUNK)
        b_view = memoryview(b_buffer)
        while n := a.readinto(a_buffer):
            got = 0
            while got < n and (m := b.readinto(b_view[got:n])):
                got += m
            if got != n:
                return False
            # bytearrays compare with memcmp; memoryviews item by item, ten times slower and more
            if (a_buffer != b_buffer) if n == READ_CHUNK else (a_buffer[:n] != b_buffer[:n]):
                return False
        return not b.read(1)


def _copy_fds(
    src: int,
    dst: int,
    size: int,
    methods: Sequence[str],
    progress: Callable[[int], None] | None,
) -> str:
    """Copy from the current offsets to the source's end; the method that finished it."""
    if size == 0 and "read_write" in methods:
        methods = ["read_write"]  # /proc-like files report 0 bytes and still have content
    else:
        os.posix_fadvise(src, 0, 0, os.POSIX_FADV_SEQUENTIAL)
    done = 0
    for name in methods:
        try:
            done = _PRIMITIVES[name](src, dst, size, done, progress)
        except _Unsupported:
            continue
        return name
    raise OSError(errno.EOPNOTSUPP, f"none of {', '.join(methods)} can copy this file")


def _reflink(src: int, dst: int, size: int, done: int, progress: Callable | None) -> int:
    if done:
        raise _Unsupported  # a clone covers the whole file or nothing
    try:
        fcntl.ioctl(dst, FICLONE, src)
    except OSError as exc:
        if exc.errno in _UNSUPPORTED:
            raise _Unsupported from None
        raise
    _report(progress, size)
    return size


def _copy_file_range(src: int, dst: int, size: int, done: int, progress: Callable | None) -> int:
    return _kernel_loop(lambda: os.copy_file_range(src, dst, CHUNK), size, done, progress)


def _sendfile(src: int, dst: int, size: int, done: int, progress: Callable | None) -> int:
    return _kernel_loop(lambda: os.sendfile(dst, src, None, CHUNK), size, done, progress)


def _kernel_loop(step: Callable[[], int], size: int, done: int, progress: Callable | None) -> int:
    """Call an in-kernel copy until the source ends; unsupported before its first byte."""
    first = True
    while True:
        try:
            n = step()
        except OSError as exc:
            if first and exc.errno in _UNSUPPORTED:
                raise _Unsupported from None
            raise
        if n == 0:
            if first and done < size:
                raise _Unsupported  # some filesystems answer 0 where they cannot copy
            return done
        first = False
        done += n
        _report(progress, done)


def _read_write(src: int, dst: int, size: int, done: int, progress: Callable | None) -> int:
    buffer = bytearray(READ_CHUNK)
    view = memoryview(buffer)
    while n := os.readv(src, [buffer]):
        written = 0
        while written < n:
            written += os.write(dst, view[written:n])
        done += n
        _report(progress, done)
    return done


def _report(progress: Callable[[int], None] | None, done: int) -> None:
    if progress is not None:
        progress(done)


_PRIMITIVES: dict[str, Callable[[int, int, int, int, Callable | None], int]] = {
    "reflink": _reflink,
    "copy_file_range": _copy_file_range,
    "sendfile": _sendfile,
    "read_write": _read_write,
}
