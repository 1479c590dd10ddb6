"""Remembered digests of files, trusted while a file's size, mtime, ctime and inode stay the same.

One file per root in a cache folder, a marshalled dict behind a checksum (50,000 entries load in
a few milliseconds), replaced atomically, so concurrent writers cost at most some re-hashing.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import tempfile
import time

log = logging.getLogger(__name__)

_MAGIC = b"mlpipelines-stat-cache\x001\x00"
_RACY_NS = 2_000_000_000
"""A file modified this recently may change again within the same mtime tick (2 s on FAT and
SMB), unseen by its stat; such files are hashed again next time, as git does for "racily clean"
index entries."""

_Entry = tuple[int, int, int, int, str]  # size, mtime_ns, ctime_ns, inode, digest


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


def _load(path: str, algorithm: str) -> dict[str, _Entry]:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return {}
    head = len(_MAGIC) + 32
    if (
        not data.startswith(_MAGIC)
        or hashlib.sha256(data[head:]).digest() != data[len(_MAGIC) : head]
    ):
        return {}
    try:
        stored_algorithm, entries = marshal.loads(data[head:])
    except (EOFError, ValueError, TypeError):
        return {}
    if stored_algorithm != algorithm or not isinstance(entries, dict):
        return {}
    return entries


def cached_paths(path: str | os.PathLike[str]) -> list[str]:
    """The files a stat cache file remembers (none when it is unreadable or of another
    algorithm); ``mlpipelines gc`` drops caches whose files are all gone."""
    return list(_load(os.fspath(path), _algorithm()))


class StatCache:
    """Digests of files keyed by (path, size, mtime_ns, ctime_ns, inode); see the module doc.

    `save` writes nothing when nothing changed, so re-checking an unchanged tree costs no write.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = os.fspath(path) if path is not None else None
        self.algorithm = _algorithm()
        self._entries: dict[str, _Entry] = _load(self.path, self.algorithm) if self.path else {}
        self._used: set[str] = set()
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
        return len(self._entries)

    def lookup(self, key: str, st: os.stat_result) -> str | None:
        """The remembered digest of `key`, if the file still has the stat it was hashed with."""
        self._used.add(key)
        entry = self._entries.get(key)
        if (
            entry is not None
            and entry[0] == st.st_size
            and entry[1] == st.st_mtime_ns
            and entry[2] == st.st_ctime_ns
            and entry[3] == st.st_ino
        ):
            return entry[4]
        return None

    def store(self, key: str, st: os.stat_result, digest: str) -> None:
        """Remember `digest` for `key` as stat'ed *before* it was read."""
        self._used.add(key)
        if st.st_mtime_ns > time.time_ns() - _RACY_NS:
            self._changed |= self._entries.pop(key, None) is not None
            return
        entry = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, digest)
        if self._entries.get(key) != entry:
            self._entries[key] = entry
            self._changed = True

    def drop_unused(self) -> None:
        """Forget the entries not looked up or stored since loading (files that are gone)."""
        for key in self._entries.keys() - self._used:
            del self._entries[key]
            self._changed = True

    def save(self) -> None:
        """Write the cache (atomically); a folder that cannot be written only costs a warning."""
        if self.path is None:
            return
        if not self._changed:
            return
        payload = marshal.dumps((self.algorithm, self._entries))
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
