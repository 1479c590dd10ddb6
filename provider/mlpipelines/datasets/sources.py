"""A dataset's sources resolved to files: datastore paths and globs, and URLs, each through
the fsspec filesystem that reads it."""

from __future__ import annotations

import os
import posixpath
import re
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from mlpipelines.errors import UserErrorException

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from mlpipelines.storage.location import StoreLocation

GLOB_CHARS = frozenset("*?[")


class DefinedDataset(Protocol):
    """What the engine reads of a dataset object: its definition and the workspace that
    resolves its datastores (the facade's datasets are these)."""

    @property
    def workspace(self) -> Any: ...

    def definition(self) -> dict[str, Any]: ...


class ResolvedFile(NamedTuple):
    """One file of a dataset: the filesystem and path that read it, and how it is named.
    (A named tuple: a dataset may list 10,000 files, and a frozen dataclass cost ~2 us each.)

    ``name`` is the path below the dataset's base folder (what ``to_path`` and downloads use);
    ``label`` names the file in the ``Path`` column (datastore-relative path, or the URL).
    """

    fs: AbstractFileSystem
    path: str
    name: str
    label: str
    group: str
    local: bool


def _has_glob(part: str) -> bool:
    return any(c in GLOB_CHARS for c in part)


def _base_of(rel: str, is_file: bool) -> str:
    """The folder a source's names are relative to: the part before any glob, or the parent."""
    parts = rel.split("/") if rel else []
    for i, part in enumerate(parts):
        if _has_glob(part):
            return "/".join(parts[:i])
    return posixpath.dirname(rel) if is_file else rel


def _visible(name: str) -> bool:
    """Hidden files (``.x``: registry records, partial uploads) are never part of a dataset."""
    return not name.startswith(".") and "/." not in name


def _list(fs: AbstractFileSystem, full: str) -> tuple[list[str], bool]:
    """The files ``full`` names (a glob, a folder or a file), sorted; and if it was one file."""
    stripped = fs._strip_protocol(full)
    if any(_has_glob(p) for p in stripped.split("/")):
        fast = _glob_one_local_folder(fs, stripped)
        if fast is not None:
            return fast, False
        matches = fs.glob(stripped, detail=True)
        files: list[str] = []
        for path, info in matches.items():
            if info.get("type") == "directory":
                files.extend(fs.find(path))
            else:
                files.append(path)
        return sorted(set(files)), False
    try:
        info = fs.info(stripped)
    except FileNotFoundError:
        return [], False
    if info.get("type") == "directory":
        return sorted(fs.find(stripped)), False
    return [stripped], True


def _glob_one_local_folder(fs: AbstractFileSystem, pattern: str) -> list[str] | None:
    """What ``_list`` finds for a local glob whose wildcards are all in its last part
    (``folder/*.csv``), from one ``scandir`` of the folder; None for any other glob.

    fsspec's glob stats every entry of the folder (a tenth of a second for 10,000 files);
    this matches the same paths with fsspec's own pattern and entry types, so the result
    is the same, and only a matching folder is listed (recursively) through fsspec.
    """
    from fsspec.implementations.local import LocalFileSystem

    folder, _, last = pattern.rpartition("/")
    if (
        os.sep != "/"
        or not isinstance(fs, LocalFileSystem)
        or not folder
        or _has_glob(folder)
        or "**" in last
    ):
        return None

    from fsspec.utils import glob_translate

    match = re.compile(glob_translate(pattern)).match
    files: list[str] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                path = f"{folder}/{entry.name}"
                if not match(path):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    files.extend(fs.find(path))
                else:
                    files.append(path)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(set(files))


def _relative_all(paths: list[str], prefix: str) -> list[str]:
    """Each path below the folder ``prefix`` relative to it (others as they are), in one pass:
    a dataset may have many thousand files."""
    head = prefix.rstrip("/") + "/"
    if head == "/":
        return list(paths)
    cut = len(head)
    return [p[cut:] if p.startswith(head) else p for p in paths]


def _open(source: dict[str, Any], workspace: Any, stores: dict[str, StoreLocation]) -> Any:
    from mlpipelines.storage.connections import open_datastore

    name = source["datastore"]
    if name not in stores:
        try:
            stores[name] = open_datastore(name, workspace)
        except UserErrorException as exc:
            raise UserErrorException(f"dataset source {describe_source(source)}: {exc}") from None
    return stores[name]


def _datastore_files(
    source: dict[str, Any], workspace: Any, stores: dict[str, StoreLocation]
) -> tuple[list[tuple[str, str, str]], str, StoreLocation]:
    """(fsspec path, datastore-relative path, path below the base folder) of each file, and
    the source's base folder."""
    store = _open(source, workspace, stores)
    fs = store.fs
    root = fs._strip_protocol(store.path(""))
    paths, is_file = _list(fs, store.path(source["path"]))
    rels = _relative_all(paths, root)
    base = _base_of(source["path"], is_file)
    names = _relative_all(rels, base)
    visible = [(p, r, n) for p, r, n in zip(paths, rels, names, strict=True) if _visible(n)]
    return visible, base, store


def _url_files(source: dict[str, Any]) -> list[ResolvedFile]:
    import fsspec

    url = source["url"]
    fs, path = fsspec.core.url_to_fs(url)
    group = f"url:{fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]}"
    if url.split("://", 1)[0].lower() in ("http", "https"):
        name = posixpath.basename(url.split("?", 1)[0].rstrip("/")) or "index"
        return [ResolvedFile(fs, url, name, url, group, False)] if fs.exists(url) else []
    scheme = url.split("://", 1)[0]
    paths, is_file = _list(fs, path)
    base = _base_of(fs._strip_protocol(path), is_file)
    return [
        ResolvedFile(fs, p, name, f"{scheme}://{p}", group, False)
        for p, name in zip(paths, _relative_all(paths, base), strict=True)
        if _visible(name)
    ]


def resolve_files(definition: dict[str, Any], workspace: Any = None) -> list[ResolvedFile]:
    """Every file of a dataset definition, in source order then path order (before its steps).

    A source that matches nothing is an error naming it. Names are relative to the common base
    folder when all sources are on one datastore, else to each source's own base.
    """
    stores: dict[str, StoreLocation] = {}
    on_stores: list[tuple[dict[str, Any], list[tuple[str, str, str]], str, StoreLocation]] = []
    by_source: list[list[ResolvedFile] | int] = []
    for source in definition["sources"]:
        if "datastore" in source:
            pairs, base, store = _datastore_files(source, workspace, stores)
            found: list[Any] = pairs
            by_source.append(len(on_stores))
            on_stores.append((source, pairs, base, store))
        else:
            found = _url_files(source)
            by_source.append(found)
        if not found:
            raise UserErrorException(f"dataset source {describe_source(source)} matched no files")
    one_store = len(stores) == 1 and len(on_stores) == len(by_source)
    common = _common_base([base for _, _, base, _ in on_stores]) if one_store else None
    files: list[ResolvedFile] = []
    for entry in by_source:
        if not isinstance(entry, int):
            files.extend(entry)
            continue
        source, pairs, base, store = on_stores[entry]
        prefix = base if common is None else common
        group = f"datastore:{source['datastore']}"
        fs, local = store.fs, store.is_local
        if prefix == base:  # one source, or all with one base: the names are cut already
            files.extend(
                ResolvedFile(fs, path, name, rel, group, local) for path, rel, name in pairs
            )
            continue
        names = _relative_all([rel for _, rel, _ in pairs], prefix)
        files.extend(
            ResolvedFile(fs, path, name, rel, group, local)
            for (path, rel, _), name in zip(pairs, names, strict=True)
        )
    return files


def _common_base(bases: list[str]) -> str:
    parts = [b.split("/") if b else [] for b in bases]
    common: list[str] = []
    for column in zip(*parts, strict=False):
        if len(set(column)) != 1:
            break
        common.append(column[0])
    return "/".join(common)


def describe_source(source: dict[str, Any]) -> str:
    """How a source is named in messages: ``datastore 'x' path 'p'`` or the URL."""
    if "url" in source:
        return f"URL '{source['url']}'"
    return f"datastore '{source['datastore']}' path '{source['path'] or '/'}'"
