"""Remembered digests of files, trusted while a file's size, mtime, ctime and inode stay the same.

One file per root in a cache folder: three blobs in key order (the keys joined by NUL, the stat
fields packed as 64-bit integers, the hex digests joined by NUL) behind a checksum, replaced
atomically, so concurrent writers cost at most some re-hashing; a file of another version,
algorithm, byte order or checksum is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import operator
import os
import struct
import sys
import tempfile
import time
from collections.abc import Sequence
from itertools import starmap

log = logging.getLogger(__name__)

_MAGIC = b"mlpipelines-stat-cache\x003\x00"
"""Version 3 stores blobs, loaded without a Python object per file; another version (1: a dict,
2: columns of tuples and strings) is ignored and rebuilt."""
_RACY_NS = 2_000_000_000
"""A file modified this recently may change again within the same mtime tick (2 s on FAT and
SMB), unseen by its stat; such files are hashed again next time, as git does for "racily clean"
index entries."""
_MAX_DERIVED = 8
_HEX_DIGITS = 64
"""A digest's length in hex (sha256 and blake3 alike)."""

_Entry = tuple[int, int, int, int, str]  # size, mtime_ns, ctime_ns, inode, digest
_fields = operator.attrgetter("st_size", "st_mtime_ns", "st_ctime_ns", "st_ino")
"""The stat fields the cache compares, as a tuple (a C call, no Python frame per file)."""
_PACKED = struct.Struct("=QqqQ")
"""Those fields as 32 bytes (mtimes before 1970 are negative; inodes may use all 64 bits)."""


def stat_fields(stats: Sequence[os.stat_result]) -> bytes:
    """The compared fields of `stats`, packed one after another (C calls only)."""
    return b"".join(starmap(_PACKED.pack, map(_fields, stats)))


class _Blobs:
    """A cache file's content: keys joined by NUL, their stat fields, their digests joined by
    NUL (split into strings only when asked: one C call)."""

    __slots__ = ("count", "digests", "fields", "names")

    def __init__(self, names: str = "", fields: bytes = b"", digests: str = "") -> None:
        self.names = names
        self.fields = fields
        self.digests = digests
        self.count = len(fields) // _PACKED.size

    def keys(self) -> list[str]:
        return self.names.split("\0") if self.count else []

    def hex_digests(self) -> list[str]:
        return self.digests.split("\0") if self.count else []


def default_cache_dir() -> str:
    """$MLPIPELINES_CACHE_DIR, else $AIRFLOW_HOME/mlpipelines/.cache/stat (read when called)."""
    explicit = os.environ.get("MLPIPELINES_CACHE_DIR")
    if explicit:
        return explicit
    home = os.environ.get("AIRFLOW_HOME") or os.path.join(os.path.expanduser("~"), "airflow")
    return os.path.join(home, "mlpipelines", ".cache", "stat")


def _algorithm() -> str:
    from mlpipelines.snapshot.algorithm import ALGORITHM

    return ALGORITHM


def _load(path: str, algorithm: str) -> tuple[_Blobs, dict[str, str]]:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return _Blobs(), {}
    head = len(_MAGIC) + 32
    if (
        not data.startswith(_MAGIC)
        or hashlib.sha256(data[head:]).digest() != data[len(_MAGIC) : head]
    ):
        return _Blobs(), {}
    try:
        stored_algorithm, byteorder, names, fields, digests, derived = marshal.loads(data[head:])
    except (EOFError, ValueError, TypeError):
        return _Blobs(), {}
    if (
        stored_algorithm != algorithm
        or byteorder != sys.byteorder
        or not isinstance(names, str)
        or not isinstance(fields, bytes)
        or not isinstance(digests, str)
        or not isinstance(derived, dict)
    ):
        return _Blobs(), {}
    count = len(fields) // _PACKED.size
    if (
        len(fields) != count * _PACKED.size
        or len(digests) != max(count * (_HEX_DIGITS + 1) - 1, 0)
        or digests.count("\0") != max(count - 1, 0)
        or (names.count("\0") + 1 if count else len(names)) != count
    ):
        return _Blobs(), {}
    return _Blobs(names, fields, digests), derived


def cached_paths(path: str | os.PathLike[str]) -> list[str]:
    """The files a stat cache file remembers (none when it is unreadable or of another
    algorithm); ``mlpipelines gc`` drops caches whose files are all gone."""
    return _load(os.fspath(path), _algorithm())[0].keys()


class StatCache:
    """Digests of files keyed by (path, size, mtime_ns, ctime_ns, inode); see the module doc.

    Loaded as blobs: a listing in the same order is checked in two compares (its keys joined,
    its stat fields packed; as git's index is), and the dict for lookups by key is built
    only when a file changed. `save` writes nothing when nothing changed, so re-checking an
    unchanged tree costs no write.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = os.fspath(path) if path is not None else None
        self.algorithm = _algorithm()
        blobs, self._derived = _load(self.path, self.algorithm) if self.path else (_Blobs(), {})
        self._blobs: _Blobs | None = blobs
        self._table: dict[str, _Entry] | None = None
        self._used: set[str] = set()
        self._all_used = False
        self._changed = False

    @classmethod
    def for_root(
        cls, root: str | os.PathLike[str], cache_dir: str | os.PathLike[str] | None = None
    ) -> StatCache:
        """The cache of the folder `root`, kept in `cache_dir` (default: `default_cache_dir()`)."""
        folder = os.fspath(cache_dir) if cache_dir is not None else default_cache_dir()
        name = hashlib.sha256(os.fsencode(os.path.abspath(root))).hexdigest()[:32]
        return cls(os.path.join(folder, f"{name}.{_algorithm()}"))

    def __len__(self) -> int:
        return self._blobs.count if self._blobs is not None else len(self._entries())

    def _entries(self) -> dict[str, _Entry]:
        if self._table is None:
            blobs = self._blobs or _Blobs()
            rows = _PACKED.iter_unpack(blobs.fields)
            self._table = {
                key: (*row, digest)
                for key, row, digest in zip(blobs.keys(), rows, blobs.hex_digests(), strict=True)
            }
            self._blobs = None
            if self._all_used:  # `unchanged` vouched for every key without marking each
                self._used.update(self._table)
        return self._table

    def lookup(self, key: str, st: os.stat_result) -> str | None:
        """The remembered digest of `key`, if the file still has the stat it was hashed with."""
        self._used.add(key)
        entry = self._entries().get(key)
        if (
            entry is not None
            and entry[0] == st.st_size
            and entry[1] == st.st_mtime_ns
            and entry[2] == st.st_ctime_ns
            and entry[3] == st.st_ino
        ):
            return entry[4]
        return None

    def unchanged(self, keys: Sequence[str], stats: Sequence[os.stat_result]) -> list[str] | None:
        """The digests of `keys`, when they are exactly the cached keys (sorted) and each file
        still has its cached stat; two compares (keys joined, stat fields packed), as git's
        index checks a tree. None otherwise."""
        blobs = self._blobs
        if (
            blobs is None
            or len(keys) != blobs.count
            or "\0".join(keys) != blobs.names
            or stat_fields(stats) != blobs.fields
        ):
            return None
        self._all_used = True
        return blobs.hex_digests()

    def lookup_listing(
        self, keys: Sequence[str], stats: Sequence[os.stat_result]
    ) -> list[str | None]:
        """`lookup` of each key with its stat; keys in sorted order make an unchanged tree two
        compares (`unchanged`)."""
        digests: list[str | None] | None = self.unchanged(keys, stats)  # type: ignore[assignment]
        if digests is not None:
            return digests
        return [self.lookup(key, st) for key, st in zip(keys, stats, strict=True)]

    def store(self, key: str, st: os.stat_result, digest: str) -> None:
        """Remember `digest` for `key` as stat'ed *before* it was read."""
        if len(digest) != _HEX_DIGITS or "\0" in key or "\0" in digest:
            raise ValueError(f"a key without NUL and a digest of {_HEX_DIGITS} hex digits expected")
        self._used.add(key)
        entries = self._entries()
        if st.st_mtime_ns > time.time_ns() - _RACY_NS:
            self._changed |= entries.pop(key, None) is not None
            return
        entry = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, digest)
        if entries.get(key) != entry:
            entries[key] = entry
            self._changed = True

    def remembered(self, name: str) -> str | None:
        """A value derived from cached digests (a tree digest), stored under `name`."""
        return self._derived.get(name)

    def remember(self, name: str, value: str) -> None:
        """Keep `value` under `name` (a few at most); `name` must say everything it depends on."""
        if self._derived.get(name) == value:
            return
        if len(self._derived) >= _MAX_DERIVED:
            self._derived.clear()
        self._derived[name] = value
        # Alone it is no reason to write a cache without entries (all files racy): gc takes an
        # empty cache for one whose folder is gone.
        self._changed |= len(self) > 0

    def drop_unused(self) -> None:
        """Forget the entries not looked up or stored since loading (files that are gone)."""
        if self._all_used and self._table is None:
            return
        entries = self._entries()
        for key in entries.keys() - self._used:
            del entries[key]
            self._changed = True

    def save(self) -> None:
        """Write the cache (atomically); a folder that cannot be written only costs a warning."""
        if self.path is None:
            return
        if not self._changed:
            return
        entries = self._entries()
        keys = sorted(entries)
        rows = [entries[key] for key in keys]
        fields = b"".join(_PACKED.pack(*row[:4]) for row in rows)
        digests = "\0".join(row[4] for row in rows)
        payload = marshal.dumps(
            (
                self.algorithm,
                sys.byteorder,
                "\0".join(keys),
                fields,
                digests,
                self._derived,
            )
        )
        folder = os.path.dirname(self.path) or "."
        try:
            os.makedirs(folder, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=folder, prefix=".stat-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
                os.replace(temp, self.path)
            except BaseException:
                os.unlink(temp)
                raise
        except OSError as error:
            log.warning("could not save the stat cache %s: %s", self.path, error)
            return
        self._changed = False
