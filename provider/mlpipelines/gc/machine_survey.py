"""This machine's part of what tasks leave: ``mlpipelines-*`` work folders in the temp folder
and stat caches of outputs that are gone.

A killed task cannot clean up after itself, and nothing names the process that made a temp
folder; so a folder counts as in use while any live process of this user works in it (its
cwd), holds a file in it, or names it in its environment or arguments (a step's script is
given its work and output folders that way). Where processes cannot be inspected (no
``/proc``), every temp folder is kept.
"""

from __future__ import annotations

import os
from pathlib import Path

from mlpipelines.gc.facts import Entry, MachineFacts, StatCacheFact, TempFolder
from mlpipelines.snapshot.stat_cache import cached_paths

WORK_PREFIX = "mlpipelines-"
CACHES = frozenset({"mlpipelines-blobs", "mlpipelines-snapshots"})
"""Content-addressed caches in the temp folder: kept, never work folders."""
PROC = Path("/proc")


def survey_machine(temp_dir: Path, stat_cache_dir: Path, proc: Path = PROC) -> MachineFacts:
    """The temp work folders under ``temp_dir`` and the stat caches in ``stat_cache_dir``."""
    inspectable = proc.is_dir()
    uses = live_process_paths(proc, str(temp_dir)) if inspectable else []
    folders = []
    for path in _work_folders(temp_dir):
        entry = _folder_entry(path)
        if entry is not None:
            folders.append(TempFolder(entry, _used(str(path), uses)))
    caches, leftovers = _stat_caches(stat_cache_dir)
    return MachineFacts(tuple(folders), tuple(caches), tuple(leftovers), inspectable)


def live_process_paths(proc: Path, under: str) -> list[str]:
    """What the live processes this user may inspect use under ``under``: working folders,
    open files, and environment values and arguments that mention it."""
    found: list[str] = []
    for entry in os.scandir(proc):
        if not entry.name.isdigit():
            continue
        base = Path(entry.path)
        for link in (base / "cwd", *_fds(base)):
            try:
                target = os.readlink(link)
            except OSError:
                continue
            if under in target:
                found.append(target)
        for name in ("environ", "cmdline"):
            try:
                raw = (base / name).read_bytes()
            except OSError:
                continue
            found += [
                text
                for item in raw.split(b"\0")
                if under in (text := item.decode("utf-8", "replace"))
            ]
    return found


def _fds(base: Path) -> list[Path]:
    try:
        return [Path(e.path) for e in os.scandir(base / "fd")]
    except OSError:
        return []


def _used(folder: str, uses: list[str]) -> bool:
    """Whether any use names ``folder`` or something inside it."""
    return any(
        (at := text.find(folder)) >= 0
        and text[at + len(folder) : at + len(folder) + 1] in ("", "/", ":", " ", '"', "'")
        for text in uses
    )


def _work_folders(temp_dir: Path) -> list[Path]:
    """``mlpipelines-*`` folders of this user directly in the temp folder."""
    try:
        entries = list(os.scandir(temp_dir))
    except OSError:
        return []
    uid = os.getuid() if hasattr(os, "getuid") else None
    found = []
    for entry in entries:
        if not entry.name.startswith(WORK_PREFIX) or entry.name in CACHES:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if entry.is_dir(follow_symlinks=False) and (uid is None or st.st_uid == uid):
            found.append(Path(entry.path))
    return sorted(found)


def _folder_entry(folder: Path) -> Entry | None:
    """The folder's bytes and newest change anywhere inside (None if it vanished)."""
    try:
        newest = folder.lstat().st_mtime
    except FileNotFoundError:
        return None
    total = 0
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            try:
                st = os.lstat(os.path.join(root, name))
            except FileNotFoundError:
                continue
            newest = max(newest, st.st_mtime)
            if name in files:
                total += st.st_size
    return Entry(str(folder), total, newest)


def _stat_caches(folder: Path) -> tuple[list[StatCacheFact], list[Entry]]:
    caches, leftovers = [], []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return [], []
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        if not entry.is_file(follow_symlinks=False):
            continue
        item = Entry(entry.path, st.st_size, st.st_mtime)
        if entry.name.startswith(".stat-") and entry.name.endswith(".tmp"):
            leftovers.append(item)
            continue
        # A source folder's cache names its files relative to the folder, which it does
        # not name: kept. An output's names them absolutely: kept while one is there.
        roots_exist = any(
            not os.path.isabs(path) or os.path.lexists(path) for path in cached_paths(entry.path)
        )
        caches.append(StatCacheFact(item, roots_exist))
    return sorted(caches, key=lambda c: c.entry.path), sorted(leftovers, key=lambda e: e.path)
