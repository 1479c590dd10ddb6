"""Remembered digests of files, trusted while a file's size, mtime, ctime and inode stay the same.

One file per root in a cache folder: marshalled columns sorted by key (paths, stat fields,
digests) behind a checksum, replaced atomically, so concurrent writers cost at most some
re-hashing; a file of another version, algorithm or checksum is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import operator
import os
import tempfile
import time
from collections.abc import Sequence

log = logging.getLogger(__name__)

_MAGIC = b"mlpipelines-stat-cache\x002\x00"
"""Version 2 stores columns sorted by key; a file of another version is ignored (rebuilt)."""
_RACY_NS = 2_000_000_000
"""A file modified this recently may change again within the same mtime tick (2 s on FAT and
SMB), unseen by its stat; such files are hashed again next time, as git does for "racily clean"
index entries."""
_MAX_DERIVED = 8

_Entry = tuple[int, int, int, int, str]  # size, mtime_ns, ctime_ns, inode, digest
_Fields = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode
_Columns = tuple[list[str], list[_Fields], list[str]]  # sorted keys, their fields, digests
_fields = operator.attrgetter("st_size", "st_mtime_ns", "st_ctime_ns", "st_ino")
"""The stat fields the cache compares, as a tuple (a C call, no Python frame per file)."""


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


def _load(path: str, algorithm: str) -> tuple[_Columns, dict[str, str]]:
    empty: _Columns = ([], [], [])
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return empty, {}
    head = len(_MAGIC) + 32
    if (
        not data.startswith(_MAGIC)
        or hashlib.sha256(data[head:]).digest() != data[len(_MAGIC) : head]
    ):
        return empty, {}
    try:
        stored_algorithm, keys, fields, digests, derived = marshal.loads(data[head:])
    except (EOFError, ValueError, TypeError):
        return empty, {}
    if (
        stored_algorithm != algorithm
        or not all(isinstance(c, list) for c in (keys, fields, digests))
        or not isinstance(derived, dict)
        or len(fields) != len(keys)
        or len(digests) != len(keys)
    ):
        return empty, {}
    return (keys, fields, digests), derived


def cached_paths(path: str | os.PathLike[str]) -> list[str]:
    """The files a stat cache file remembers (none when it is unreadable or of another
    algorithm); ``mlpipelines gc`` drops caches whose files are all gone."""
    return _load(os.fspath(path), _algorithm())[0][0]


class StatCache:
    """Digests of files keyed by (path, size, mtime_ns, ctime_ns, inode); see the module doc.

    Loaded as sorted columns: a listing in the same order is checked in one list compare (as
    git's index is), and the dict for lookups by key is built only when a file changed.
    `save` writes nothing when nothing changed, so re-checking an unchanged tree costs no write.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = os.fspath(path) if path is not None else None
        self.algorithm = _algorithm()
        columns, self._derived = (
            _load(self.path, self.algorithm) if self.path else (([], [], []), {})
        )
        self._columns: _Columns | None = columns
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
        return len(self._columns[0]) if self._columns is not None else len(self._entries())

    def _entries(self) -> dict[str, _Entry]:
        if self._table is None:
            keys, fields, digests = self._columns or ([], [], [])
            rows = ((*f, d) for f, d in zip(fields, digests, strict=True))
            self._table = dict(zip(keys, rows, strict=True))  # type: ignore[arg-type]
            self._columns = None
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

    def lookup_listing(
        self, keys: Sequence[str], stats: Sequence[os.stat_result]
    ) -> list[str | None]:
        """`lookup` of each key with its stat; keys in sorted order make an unchanged tree one
        compare."""
        columns = self._columns
        if (
            columns is not None
            and list(keys) == columns[0]
            and list(map(_fields, stats)) == columns[1]
        ):
            self._all_used = True
            return list(columns[2])
        return [self.lookup(key, st) for key, st in zip(keys, stats, strict=True)]

    def store(self, key: str, st: os.stat_result, digest: str) -> None:
        """Remember `digest` for `key` as stat'ed *before* it was read."""
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
        fields = [row[:4] for row in rows]
        payload = marshal.dumps((self.algorithm, keys, fields, [r[4] for r in rows], self._derived))
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
