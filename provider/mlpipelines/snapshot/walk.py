"""The files a snapshot keeps, with their stats: a folder walked under its ignore rules, in order.

The walk yields columns (paths, stats) already in path order, without a tuple per file or a
sort of the whole list: each folder's names are sorted, and its files are interleaved with its
subfolders' subtrees at the place a path "sub/..." sorts. Per folder, every step runs over all
names at once (`map`, `compress`, `filter`): the Python work per file is a few C calls beside
the one `stat` a file needs (a content change touches no folder's mtime).

Where the C accelerator `mlpipelines_native` is installed, it lists and stats each folder
(no `os.stat_result` per file: the stats arrive packed as the stat cache compares them);
`MLPIPELINES_NATIVE=0` in the environment keeps the pure-Python walk, which gives the same
listing.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from itertools import compress
from operator import attrgetter, methodcaller
from stat import S_IFREG, S_ISDIR, S_ISLNK, S_ISREG

from mlpipelines.snapshot.ignore import Rules, kept_names, read_rules
from mlpipelines.snapshot.stat_column import ROW, StatColumn, pack_stats

try:
    from mlpipelines_native import scan as _native_scan
except ImportError:  # not built here (no compiler): the Python walk does the same
    _native_scan = None

Listing = tuple[list[str], StatColumn]
"""Posix paths relative to the root, sorted, and each file's stat fields (through symlinks)."""

_STAT_BY_FD = os.stat in os.supports_dir_fd and os.sep == "/"
_BY_FD = _STAT_BY_FD and os.scandir in os.supports_fd
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_Folder = tuple[str, str, list[Rules]]  # path, relative prefix ("" or "a/b/"), rules in force
_is_folder = methodcaller("is_dir", follow_symlinks=False)
_is_file = methodcaller("is_file")
_name = attrgetter("name")
_mode = attrgetter("st_mode")
_AFTER_REGULAR = S_IFREG + 0o10000
"""The type is a mode's top four bits (0o170000): modes of regular files lie in
[S_IFREG, _AFTER_REGULAR) and no other mode does."""


_IS_FILE = bytes.maketrans(b"fdlog", b"\1\0\0\0\0")
_IS_FOLDER = bytes.maketrans(b"fdlog", b"\0\1\0\0\0")
"""`mlpipelines_native.scan`'s kinds (file, folder, symlink to a folder, other, gone) as masks."""
_Scan = tuple[list[str], bytes, list[str], list[Rules]]


def native_walk() -> bool:
    """Whether the walk lists and stats folders in C: installed, and not turned off by
    `MLPIPELINES_NATIVE=0` (read at each walk)."""
    return _native_scan is not None and os.environ.get("MLPIPELINES_NATIVE") != "0"


def _as_folder(name: str) -> str:
    return name + "/"


class _Files:
    """Files of a folder waiting on the stack for the subtrees that sort before them."""

    __slots__ = ("packed", "relpaths")

    def __init__(self, relpaths: list[str], packed: bytes) -> None:
        self.relpaths = relpaths
        self.packed = packed


def _scan_native(folder: str, prefix: str, inherited: list[Rules], with_stats: bool) -> _Scan:
    """`_scan` by `mlpipelines_native.scan`: names, kinds and packed stats in one C call."""
    assert _native_scan is not None
    names, kinds, packed = _native_scan(folder)
    rules = _rules_below(folder, names, prefix, inherited)
    if kinds.count(b"f") == len(kinds):
        files, folders = names, []
    else:
        files = list(compress(names, kinds.translate(_IS_FILE)))
        folders = sorted(compress(names, kinds.translate(_IS_FOLDER)), key=_as_folder)
        folders = kept_names(folders, prefix, rules, folders=True)
    kept = kept_names(files, prefix, rules, folders=False)
    if kept is not files:
        packed = _rows_of(kept, files, packed)
    return kept, packed, folders, rules


def _rows_of(kept: list[str], files: list[str], packed: bytes) -> bytes:
    """The rows of `packed` (one per name of `files`) of the names `kept` (a subsequence)."""
    rows: list[bytes] = []
    j = 0
    for i, name in enumerate(files):
        if j < len(kept) and kept[j] == name:
            rows.append(packed[i * ROW : (i + 1) * ROW])
            j += 1
    return b"".join(rows)


def _scan(folder: str, prefix: str, inherited: list[Rules], with_stats: bool) -> _Scan:
    """One folder's kept files (sorted names, their packed stats when `with_stats`), its kept
    subfolders (sorted as "name/": "a.b/x" comes before "a/x"), and the rules in force below."""
    names, stats, folders, rules = _scan_python(folder, prefix, inherited, with_stats)
    return names, pack_stats(stats), folders, rules


def _scan_python(
    folder: str, prefix: str, inherited: list[Rules], with_stats: bool
) -> tuple[list[str], list[os.stat_result], list[str], list[Rules]]:
    """`_scan` with `os.listdir` and `os.stat` (or `os.scandir`), the stats as objects."""
    # Read and stat through the folder's descriptor: the kernel resolves one name per file
    # instead of the whole path (a fifth less time for a deep tree).
    fd = os.open(folder, _DIRECTORY_FLAGS) if _BY_FD else None
    try:
        rules: list[Rules] | None = None
        if with_stats:
            names = os.listdir(folder if fd is None else fd)
            names.sort()
            rules = _rules_below(folder, names, prefix, inherited)
            if kept_names(names, prefix, rules, folders=False) is names:
                return (*_split_by_mode(folder, fd, names, prefix, rules), rules)
        with os.scandir(folder if fd is None else fd) as it:
            entries = list(it)
        names = list(map(_name, entries))
        if rules is None:
            rules = _rules_below(folder, names, prefix, inherited)
        folders = sorted(compress(names, map(_is_folder, entries)), key=_as_folder)
        folders = kept_names(folders, prefix, rules, folders=True)
        files = kept_names(sorted(compress(names, map(_is_file, entries))), prefix, rules, False)
        stats: list[os.stat_result] = []
        if with_stats:
            files, stats = _stat_all(folder, fd, files)
        return files, stats, folders, rules
    finally:
        if fd is not None:
            os.close(fd)


def _split_by_mode(
    folder: str, fd: int | None, names: list[str], prefix: str, rules: list[Rules]
) -> tuple[list[str], list[os.stat_result], list[str]]:
    """Files (with stats) and kept subfolders of a folder where no name is ignored as a file:
    every entry is stat'ed, as a file needs anyway, and the modes tell the folders apart (no
    `DirEntry` per file). A folder with ignored files is read with `scandir` instead, so that
    they are never stat'ed."""
    names, stats = _stat_all(folder, fd, names)
    modes = list(map(_mode, stats))
    if not modes or (min(modes) >= S_IFREG and max(modes) < _AFTER_REGULAR):
        return names, stats, []  # regular files only: two C passes instead of S_ISREG each
    is_file = list(map(S_ISREG, modes))
    folders = [
        name for name in compress(names, map(S_ISDIR, modes)) if not _is_link(folder, fd, name)
    ]
    folders.sort(key=_as_folder)
    folders = kept_names(folders, prefix, rules, folders=True)
    return list(compress(names, is_file)), list(compress(stats, is_file)), folders


def _stat_all(
    folder: str, fd: int | None, names: list[str]
) -> tuple[list[str], list[os.stat_result]]:
    """`names` and their stats (through symlinks), without the ones that are gone (a dangling
    symlink, or an entry removed since the listing)."""
    stat = partial(os.stat, dir_fd=fd) if fd is not None else _path_stat(folder)
    try:
        return names, list(map(stat, names))
    except FileNotFoundError:
        pass
    found: list[str] = []
    stats: list[os.stat_result] = []
    for name in names:
        try:
            stats.append(stat(name))
        except FileNotFoundError:
            continue
        found.append(name)
    return found, stats


def _path_stat(folder: str) -> Callable[[str], os.stat_result]:
    prefix = os.path.join(folder, "")
    return lambda name: os.stat(prefix + name)


def _is_link(folder: str, fd: int | None, name: str) -> bool:
    if fd is None:
        return os.path.islink(os.path.join(folder, name))
    return S_ISLNK(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode)


def _rules_below(folder: str, names: list[str], prefix: str, inherited: list[Rules]) -> list[Rules]:
    own = read_rules(folder, names, prefix)
    return inherited if own is None else [*inherited, own]


def _scanner(with_stats: bool) -> Callable[[str, str, list[Rules], bool], _Scan]:
    return _scan_native if with_stats and native_walk() else _scan


def _walk(first: _Folder, with_stats: bool) -> tuple[list[str], list[bytes]]:
    """The files below `first` in path order: depth first, subtrees in their sorted places;
    their stats as pieces of packed rows, in the same order."""
    scan = _scanner(with_stats)
    relpaths: list[str] = []
    packed: list[bytes] = []
    stack: list[_Folder | _Files] = [first]
    while stack:
        item = stack.pop()
        if isinstance(item, _Files):
            relpaths += item.relpaths
            packed.append(item.packed)
            continue
        folder, prefix, inherited = item
        names, found, subfolders, rules = scan(folder, prefix, inherited, with_stats)
        paths = list(map(prefix.__add__, names)) if prefix else names
        if not subfolders:  # everything before this folder is listed already
            relpaths += paths
            packed.append(found)
            continue
        later: list[_Folder | _Files] = []
        start = 0
        for name in subfolders:
            # A file sorts before the subtree "name/..." exactly when its name is below "name/".
            end = bisect_left(names, name + "/", start)
            if end > start:
                later.append(_Files(paths[start:end], found[start * ROW : end * ROW]))
            later.append((os.path.join(folder, name), f"{prefix}{name}/", rules))
            start = end
        if start < len(names):
            later.append(_Files(paths[start:], found[start * ROW :]))
        later.reverse()
        stack += later
    return relpaths, packed


def _walk_parallel(root: str, with_stats: bool, workers: int) -> Listing:
    """`_walk` with each top-level subtree walked whole by one of `workers` threads (see
    `snapshot_workers`)."""
    names, found, subfolders, rules = _scanner(with_stats)(root, "", [], with_stats)
    relpaths: list[str] = []
    packed: list[bytes] = []
    with ThreadPoolExecutor(workers, thread_name_prefix="snapshot-walk") as pool:
        subtrees = [
            pool.submit(_walk, (os.path.join(root, name), f"{name}/", rules), with_stats)
            for name in subfolders
        ]
        start = 0
        for name, subtree in zip(subfolders, subtrees, strict=True):
            end = bisect_left(names, name + "/", start)
            relpaths += names[start:end]
            packed.append(found[start * ROW : end * ROW])
            below, below_packed = subtree.result()
            relpaths += below
            packed += below_packed
            start = end
    relpaths += names[start:]
    packed.append(found[start * ROW :])
    return relpaths, StatColumn(b"".join(packed))


def _listing(root: str | os.PathLike[str], with_stats: bool, workers: int) -> Listing:
    if workers > 1:
        return _walk_parallel(os.fspath(root), with_stats, workers)
    relpaths, packed = _walk((os.fspath(root), "", []), with_stats)
    return relpaths, StatColumn(b"".join(packed))


def snapshot_files(root: str | os.PathLike[str], workers: int = 1) -> list[str]:
    """Sorted posix paths, relative to `root`, of the regular files a snapshot of it keeps.

    Symlinks to files count as files; symlinks to folders are not followed; `.git` is skipped.
    """
    return _listing(root, False, workers)[0]


def snapshot_workers() -> int:
    """Threads for `snapshot_stats` of a source folder: 2 (on 2 cores or more) with the C
    walk, which lists and stats a whole folder without the GIL, so the threads overlap their
    waits on a cold disk and their work on a warm one; else 1: `os.stat` hands the GIL over
    at every file, which costs more than a second core gives while the inodes are cached."""
    return min(2, os.cpu_count() or 1) if native_walk() else 1


def snapshot_stats(root: str | os.PathLike[str], workers: int = 1) -> Listing:
    """`snapshot_files` with each file's stat fields (through symlinks), as two columns;
    top-level subtrees are walked by `workers` threads."""
    return _listing(root, True, workers)


def stat_paths(paths: list[str]) -> list[os.stat_result]:
    """``os.stat`` of each absolute path (through symlinks; a missing one raises), each run of
    paths in one folder stat'ed by name through the folder's descriptor, as the walk does: the
    kernel resolves one name a file instead of the whole path (a dataset's files mostly share
    a few folders)."""
    if not _STAT_BY_FD:
        return list(map(os.stat, paths))
    stats: list[os.stat_result] = []
    for head, start, end in _folder_runs(paths):
        fd = os.open(head[:-1] or "/", _DIRECTORY_FLAGS)
        try:
            stats += [os.stat(p[len(head) :], dir_fd=fd) for p in paths[start:end]]
        finally:
            os.close(fd)
    return stats


def _folder_runs(paths: list[str]) -> Iterator[tuple[str, int, int]]:
    """Each run of sorted absolute `paths` directly in one folder: (the folder with a trailing
    "/", the run's start, its end)."""
    start = 0
    while start < len(paths):
        head = paths[start].rpartition("/")[0] + "/"
        end = start
        while (
            end < len(paths) and paths[end].startswith(head) and "/" not in paths[end][len(head) :]
        ):
            end += 1
        yield head, start, end
        start = end


_SCAN_AT_LEAST = 256
"""Runs of this many paths in one folder are stat'ed by listing the folder in C (one call)
instead of one `os.stat` each; a short run of a big folder is stat'ed path by path."""


def stat_column_of(paths: list[str]) -> StatColumn:
    """`stat_paths` as a column: each long run of paths in one folder through one C `scan` of
    the folder (no stat_result per file), anything else (a short run, a path that is no
    regular file there) through `os.stat`; a missing path raises as `os.stat` does."""
    if not native_walk() or not _STAT_BY_FD:
        return StatColumn(pack_stats(stat_paths(paths)))
    assert _native_scan is not None
    pieces: list[bytes] = []
    for head, start, end in _folder_runs(paths):
        if end - start < _SCAN_AT_LEAST:
            pieces.append(pack_stats(stat_paths(paths[start:end])))
            continue
        wanted = [p[len(head) :] for p in paths[start:end]]
        names, kinds, packed = _native_scan(head[:-1] or "/")
        files = (
            names
            if kinds.count(b"f") == len(kinds)
            else list(compress(names, kinds.translate(_IS_FILE)))
        )
        if files == wanted:
            pieces.append(packed)
        else:
            index = {name: i for i, name in enumerate(files)}
            rows = []
            for name in wanted:
                i = index.get(name)
                if i is None:  # not a regular file there (or gone): as os.stat says
                    rows.append(pack_stats([os.stat(head + name)]))
                else:
                    rows.append(packed[i * ROW : (i + 1) * ROW])
            pieces.append(b"".join(rows))
    return StatColumn(b"".join(pieces))
