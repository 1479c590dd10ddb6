"""Remembered digests of files, trusted while a file's size, mtime, ctime and inode stay the same.

One file per root in a cache folder: three blobs in key order (the keys joined by NUL, the stat
fields packed as a `StatColumn`, the hex digests joined by NUL) behind a checksum, replaced
atomically, so concurrent writers cost at most some re-hashing; a file of another version,
algorithm, byte order or checksum is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import sys
import tempfile
import time
from bisect import bisect_left
from collections.abc import Sequence
from itertools import count, groupby, repeat
from operator import sub

from mlpipelines.snapshot.stat_column import PACKED, ROW, StatColumn, fields_of

log = logging.getLogger(__name__)

_MAGIC = b"mlpipelines-stat-cache\x003\x00"
"""Version 3 stores blobs, loaded without a Python object per file; another version (1: a dict,
2: columns of tuples and strings) is ignored and rebuilt."""
_RACY_NS = 2_000_000_000
"""A file modified this recently may change again within the same mtime tick (2 s on FAT and
SMB), unseen by its stat; such files are hashed again next time, as git does for "racily clean"
index entries."""
_MAX_DERIVED = 8
_ABSENT = -(1 << 62)
"""The place in the blobs of a key they do not hold (see `StatCache._matched`)."""
_HEX_DIGITS = 64
"""A digest's length in hex (sha256 and blake3 alike)."""

_Entry = tuple[bytes, str]  # the stat fields packed as a `StatColumn` row, the digest


class _Blobs:
    """A cache file's content: keys joined by NUL, their stat fields, their digests joined by
    NUL (split into strings only when asked: one C call)."""

    __slots__ = ("count", "digests", "fields", "names")

    def __init__(self, names: str = "", fields: bytes = b"", digests: str = "") -> None:
        self.names = names
        self.fields = fields
        self.digests = digests
        self.count = len(fields) // ROW

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
    count = len(fields) // ROW
    if (
        len(fields) != count * ROW
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

    Loaded as blobs and kept so: a listing in the same order is checked in two compares (its
    keys joined, its `StatColumn`; as git's index is), a lookup reads one row of the blobs
    through an index of the keys (built when first needed), and stores and removals wait
    beside the blobs until `save` merges them, so adding a few files to a big cache costs no
    table of all its entries. `save` writes nothing when nothing changed, so re-checking an
    unchanged tree costs no write.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = os.fspath(path) if path is not None else None
        self.algorithm = _algorithm()
        loaded = _load(self.path, self.algorithm) if self.path else (_Blobs(), {})
        self._blobs, self._derived = loaded
        self._index: dict[str, int] | None = None
        self._added: dict[str, _Entry] = {}
        """New or changed entries, over the blobs' (never one of `_removed`)."""
        self._removed: set[str] = set()
        """Keys of the blobs no longer remembered."""
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
        index = self._positions()
        new = sum(1 for key in self._added if key not in index)
        return self._blobs.count - len(self._removed) + new

    def _positions(self) -> dict[str, int]:
        """Each key of the blobs -> its row (one C-level dict build, no object per field)."""
        if self._index is None:
            self._index = dict(zip(self._blobs.keys(), range(self._blobs.count), strict=True))
        return self._index

    def _row(self, key: str) -> tuple[bytes, str] | None:
        """The packed fields and digest remembered for `key`, if any."""
        entry = self._added.get(key)
        if entry is not None:
            return entry
        i = self._positions().get(key)
        if i is None or key in self._removed:
            return None
        blobs = self._blobs
        digest = blobs.digests[i * (_HEX_DIGITS + 1) : i * (_HEX_DIGITS + 1) + _HEX_DIGITS]
        return blobs.fields[i * ROW : (i + 1) * ROW], digest

    def _lookup_row(self, key: str, row: bytes) -> str | None:
        self._used.add(key)
        found = self._row(key)
        return found[1] if found is not None and found[0] == row else None

    def lookup(self, key: str, st: os.stat_result) -> str | None:
        """The remembered digest of `key`, if the file still has the stat it was hashed with."""
        return self._lookup_row(key, PACKED.pack(*fields_of(st)))

    def unchanged(self, keys: Sequence[str], stats: StatColumn) -> list[str] | None:
        """The digests of `keys`, when they are exactly the cached keys (sorted) and each file
        still has its cached stat; two compares (keys joined, stat fields packed), as git's
        index checks a tree. None otherwise."""
        blobs = self._blobs
        if (
            self._added
            or self._removed
            or len(keys) != blobs.count
            or "\0".join(keys) != blobs.names
            or stats.packed != blobs.fields
        ):
            return None
        self._all_used = True
        return blobs.hex_digests()

    def lookup_listing(self, keys: Sequence[str], stats: StatColumn) -> list[str | None]:
        """`lookup` of each key with its stats' row; keys in sorted order make an unchanged
        tree two compares (`unchanged`)."""
        digests: list[str | None] | None = self.unchanged(keys, stats)  # type: ignore[assignment]
        if digests is not None:
            return digests
        if self._added or self._removed:
            return [self._lookup_row(key, stats.row(i)) for i, key in enumerate(keys)]
        self._used.update(keys)
        return self._matched(keys, stats)

    def _matched(self, keys: Sequence[str], stats: StatColumn) -> list[str | None]:
        """The digests of `keys` whose rows in `stats` equal the blobs', straight from the
        blobs. Keys at consecutive places of the blobs (an old tree with a few files added,
        removed or changed) form runs, each checked in one compare and halved down to the
        changed files only where it differs: C calls, not Python work, per unchanged key."""
        blobs = self._blobs
        width = _HEX_DIGITS + 1
        found: list[str | None] = []

        def match(i: int, j: int, length: int) -> None:
            if (
                blobs.fields[i * ROW : (i + length) * ROW]
                == stats.packed[j * ROW : (j + length) * ROW]
            ):
                found.extend(blobs.digests[i * width : (i + length) * width - 1].split("\0"))
            elif length == 1:
                found.append(None)
            else:
                half = length // 2
                match(i, j, half)
                match(i + half, j + half, length - half)

        # A key's place in the blobs minus its place in `keys` is the same along a run; a key
        # the blobs lack gets a place far below any other, so each is a run of its own.
        places = map(self._positions().get, keys, repeat(_ABSENT))
        j = 0
        for offset, run in groupby(map(sub, places, count())):
            length = len(list(run))
            if j + offset < 0:
                found += [None] * length
            else:
                match(j + offset, j, length)
            j += length
        return found

    def store(self, key: str, st: os.stat_result, digest: str) -> None:
        """Remember `digest` for `key` as stat'ed *before* it was read."""
        self.store_row(key, PACKED.pack(*fields_of(st)), digest)

    def store_row(self, key: str, row: bytes, digest: str) -> None:
        """`store` with the stat as a `StatColumn` row."""
        if len(digest) != _HEX_DIGITS or "\0" in key or "\0" in digest or len(row) != ROW:
            raise ValueError(f"a key without NUL and a digest of {_HEX_DIGITS} hex digits expected")
        self._used.add(key)
        if PACKED.unpack(row)[1] > time.time_ns() - _RACY_NS:
            self._forget(key)
            return
        if self._row(key) != (row, digest):
            self._added[key] = (row, digest)
            self._removed.discard(key)
            self._changed = True

    def _forget(self, key: str) -> None:
        if self._added.pop(key, None) is not None:
            self._changed = True
        if key in self._positions() and key not in self._removed:
            self._removed.add(key)
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
        self._changed |= bool(self._added) or self._blobs.count > len(self._removed)

    def drop_unused(self) -> None:
        """Forget the entries not looked up or stored since loading (files that are gone)."""
        if self._all_used:
            return  # `unchanged` vouched for every key, and nothing was added since
        unused = self._positions().keys() - self._used - self._removed
        if unused:
            self._removed |= unused
            self._changed = True

    def _merged(self) -> tuple[str, bytes, str]:
        """The blobs with the pending stores and removals merged in, in key order: runs of
        the blobs copied whole, so a few new entries cost no work per old one."""
        blobs = self._blobs
        if not self._added and not self._removed:
            return blobs.names, blobs.fields, blobs.digests
        index = self._positions()
        old = blobs.keys()
        # (position in the blobs, 0: an entry goes in before it / 1: it is dropped, key)
        events = [(index[key], 1, "") for key in self._removed]
        for key in self._added:
            at = index.get(key)
            events.append((bisect_left(old, key), 0, key) if at is None else (at, 1, key))
        events.sort()
        width = _HEX_DIGITS + 1
        keys: list[str] = []
        fields: list[bytes] = []
        digests: list[str] = []
        start = 0
        for at, dropped, key in events:
            if at > start:  # the run of old entries before this event, copied whole
                keys += old[start:at]
                fields.append(blobs.fields[start * ROW : at * ROW])
                digests.append(blobs.digests[start * width : at * width - 1])
            start = at + dropped
            if key:
                row, digest = self._added[key]
                keys.append(key)
                fields.append(row)
                digests.append(digest)
        if start < blobs.count:
            keys += old[start:]
            fields.append(blobs.fields[start * ROW :])
            digests.append(blobs.digests[start * width :])
        return "\0".join(keys), b"".join(fields), "\0".join(digests)

    def save(self) -> None:
        """Write the cache (atomically); a folder that cannot be written only costs a warning."""
        if self.path is None:
            return
        if not self._changed:
            return
        names, fields, digests = self._merged()
        payload = marshal.dumps(
            (self.algorithm, sys.byteorder, names, fields, digests, self._derived)
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
