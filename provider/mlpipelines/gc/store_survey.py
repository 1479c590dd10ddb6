"""What the default datastore holds that gc may remove: run folders, reuse manifests and
markers, leftovers, source snapshots and blobs. Read through the storage layer, so a local
folder, Azure Blob or S3 is surveyed alike.

Manifests are listed before the run folders: a manifest is written only after its outputs,
so an output missing from the later listing is really gone (never merely too new to list).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from mlpipelines._naming import path_safe
from mlpipelines.gc.facts import (
    Entry,
    Leftover,
    ManifestFact,
    MarkerFact,
    RunData,
    RunId,
    SnapshotFact,
    StoreFacts,
)
from mlpipelines.gc.store_listing import Listed, is_leftover, list_tree
from mlpipelines.records.reserved import ARTIFACTS_FOLDER, INTERNAL_FOLDER, PIPELINE_DATA_FOLDER
from mlpipelines.reuse.store import Holder, Manifest
from mlpipelines.storage.location import StoreLocation

REUSE_FOLDER = f"{INTERNAL_FOLDER}/reuse"
PARALLEL_RUNS_FOLDER = f"{INTERNAL_FOLDER}/parallel_run/runs"
SNAPSHOTS_FOLDER = f"{INTERNAL_FOLDER}/snapshot-files"
BLOBS_FOLDER = f"{INTERNAL_FOLDER}/blobs"


class _Sizes:
    """Bytes and newest change per path, summed from listed entries."""

    def __init__(self) -> None:
        self.bytes: dict[str, int] = defaultdict(int)
        self.modified: dict[str, float] = defaultdict(float)

    def add(self, path: str, item: Listed) -> None:
        self.bytes[path] += item.size
        self.modified[path] = max(self.modified[path], item.modified)

    def entry(self, path: str) -> Entry:
        return Entry(path, self.bytes[path], self.modified[path])


def survey_store(location: StoreLocation) -> StoreFacts:
    """The facts of ``location`` (the default datastore)."""
    reuse = _survey_reuse(location)
    listed: list[Listed] = list_tree(location, PIPELINE_DATA_FOLDER)
    present = _present_paths(listed)
    manifests = tuple(_with_dangling(m, present, location) for m in reuse.manifests)
    runs, leftovers = _runs(listed, PIPELINE_DATA_FOLDER, "outputs", part_names=2)
    for folder, kind in ((ARTIFACTS_FOLDER, "artifacts"), (PARALLEL_RUNS_FOLDER, "parallel_run")):
        more, odd = _runs(list_tree(location, folder), folder, kind)
        runs += more
        leftovers += odd
    snapshots, snapshot_leftovers = _snapshots(location)
    blobs, blob_leftovers = _blobs(location)
    return StoreFacts(
        datastore=location.datastore,
        runs=tuple(runs),
        manifests=manifests,
        markers=tuple(reuse.markers),
        leftovers=tuple(leftovers + reuse.leftovers + snapshot_leftovers + blob_leftovers),
        snapshots=tuple(snapshots),
        blobs=tuple(blobs),
        reuse_listings=tuple(reuse.listings),
        step_record_snapshots=frozenset(reuse.step_snapshots),
    )


def read_json(location: StoreLocation, relative: str) -> Any:
    """A JSON document on the datastore; OSError or ValueError when it cannot be read."""
    if location.is_local:
        with open(location.path(relative), encoding="utf-8") as source:
            return json.load(source)
    return json.loads(location.fs.cat_file(location.path(relative)))


# -- run folders ---------------------------------------------------------------------------
def _runs(
    listed: list[Listed], folder: str, kind: str, part_names: int | None = None
) -> tuple[list[RunData], list[Leftover]]:
    """Run folders ``<folder>/<dag>/<run>`` and, with ``part_names`` (2 for outputs:
    ``<task>/<output>``), their parts and the leftovers beside those."""
    depth = folder.count("/") + 1
    part_depth = None if part_names is None else depth + 2 + part_names
    runs, parts, leftovers = _Sizes(), _Sizes(), _Sizes()
    run_of: dict[str, RunId] = {}
    parts_of: dict[str, set[str]] = defaultdict(set)
    for item in listed:
        names = item.path.split("/")
        # A temporary at the pipeline or run level (a gc stopped midway) is no run.
        odd = next(
            (i for i in (depth, depth + 1) if i < len(names) and is_leftover(names[i])), None
        )
        if odd is not None:
            leftovers.add("/".join(names[: odd + 1]), item)
            continue
        if len(names) < depth + 2:
            continue
        run = (names[depth], names[depth + 1])
        run_path = "/".join(names[: depth + 2])
        run_of[run_path] = run
        if part_depth is not None and len(names) >= part_depth:
            part = "/".join(names[:part_depth])
            if is_leftover(names[part_depth - 1]):
                leftovers.add(part, item)
                run_of[part] = run
                continue
            parts.add(part, item)
            parts_of[run_path].add(part)
        runs.add(run_path, item)
    found = [
        RunData(
            run_of[path],
            kind,
            runs.entry(path),
            tuple(parts.entry(p) for p in sorted(parts_of[path])),
        )
        for path in sorted(runs.bytes)
    ]
    return found, [Leftover(leftovers.entry(p), run_of.get(p)) for p in sorted(leftovers.bytes)]


def _present_paths(listed: Iterable[Listed]) -> set[str]:
    """Every listed path and each folder above it (object stores list files only)."""
    present: set[str] = set()
    for item in listed:
        path = item.path
        while path and path not in present:
            present.add(path)
            path = path.rpartition("/")[0]
    return present


# -- reuse ---------------------------------------------------------------------------------
class _Reuse:
    def __init__(self) -> None:
        self.manifests: list[ManifestFact] = []
        self.markers: list[MarkerFact] = []
        self.leftovers: list[Leftover] = []
        self.listings: list[Entry] = []
        self.step_snapshots: set[str] = set()


def _survey_reuse(location: StoreLocation) -> _Reuse:
    found = _Reuse()
    depth = REUSE_FOLDER.count("/") + 1
    for item in list_tree(location, REUSE_FOLDER):
        if item.is_dir:
            continue
        names = item.path.split("/")
        name = names[-1]
        entry = Entry(item.path, item.size, item.modified)
        if is_leftover(name):
            found.leftovers.append(Leftover(entry))
        elif len(names) == depth + 1 and name.endswith(".json"):
            manifest = _manifest(location, entry, name.removesuffix(".json"))
            if manifest is not None:
                found.manifests.append(manifest)
        elif len(names) == depth + 1 and name.endswith(".inprogress"):
            found.markers.append(_marker(location, entry, name.removesuffix(".inprogress")))
        elif names[depth] == "snapshots" and len(names) == depth + 2:
            found.listings.append(entry)
        elif names[depth] == "steps" and name.endswith(".json"):
            snapshot = _step_snapshot(location, item.path)
            if snapshot:
                found.step_snapshots.add(path_safe(snapshot))
    return found


def _manifest(location: StoreLocation, entry: Entry, key: str) -> ManifestFact | None:
    try:
        manifest = Manifest.from_dict(read_json(location, entry.path))
    except FileNotFoundError:
        return None  # removed since the listing
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return ManifestFact(entry, key, None, damaged=True)
    outputs = tuple(
        ref.path.strip("/")
        for ref in manifest.outputs.values()
        if ref.datastore == location.datastore
    )
    run = (manifest.dag_id, path_safe(manifest.run_id))
    return ManifestFact(entry, key, run, outputs, damaged=manifest.key != key)


def _with_dangling(
    manifest: ManifestFact, present: set[str], location: StoreLocation
) -> ManifestFact:
    """The manifest, marked dangling when an output it hands on is gone."""
    for output in manifest.outputs:
        if output.startswith(PIPELINE_DATA_FOLDER + "/"):
            there = output in present
        elif location.is_local:
            there = os.path.lexists(location.path(output))
        else:
            there = bool(location.fs.exists(location.path(output)))
        if not there:
            return ManifestFact(
                manifest.entry, manifest.key, manifest.run, manifest.outputs, dangling=True
            )
    return manifest


def _marker(location: StoreLocation, entry: Entry, key: str) -> MarkerFact:
    try:
        holder = Holder(**read_json(location, entry.path))
    except (OSError, ValueError, TypeError):
        return MarkerFact(entry, key, None, alive=False)
    return MarkerFact(entry, key, (holder.dag_id, path_safe(holder.run_id)), holder.alive())


def _step_snapshot(location: StoreLocation, relative: str) -> str | None:
    try:
        record = read_json(location, relative)
        snapshot = record.get("components", {}).get("snapshot")
    except (OSError, ValueError, AttributeError):
        return None
    return snapshot if isinstance(snapshot, str) else None


# -- snapshots and blobs -------------------------------------------------------------------
def _snapshots(location: StoreLocation) -> tuple[list[SnapshotFact], list[Leftover]]:
    depth = SNAPSHOTS_FOLDER.count("/") + 1
    sizes, leftovers = _Sizes(), _Sizes()
    paths_of: dict[str, set[str]] = defaultdict(set)
    for item in list_tree(location, SNAPSHOTS_FOLDER):
        names = item.path.split("/")
        top = "/".join(names[: depth + 1])
        name = names[depth]
        if is_leftover(name):
            leftovers.add(top, item)
            continue
        is_listing = len(names) == depth + 1 and not item.is_dir
        snapshot = name.removesuffix(".json") if is_listing else name
        sizes.add(top, item)
        paths_of[snapshot].add(top)
    found = []
    for snapshot, paths in sorted(paths_of.items()):
        listing = f"{SNAPSHOTS_FOLDER}/{snapshot}.json"
        blobs = _listed_blobs(location, listing) if listing in paths else ()
        found.append(SnapshotFact(snapshot, tuple(sizes.entry(p) for p in sorted(paths)), blobs))
    return found, [Leftover(leftovers.entry(p)) for p in sorted(leftovers.bytes)]


def _listed_blobs(location: StoreLocation, listing: str) -> tuple[str, ...]:
    try:
        document = read_json(location, listing)
        files = document.get("files") if document.get("schema") else None
    except (OSError, ValueError, AttributeError):
        return ()
    return tuple(sorted({str(d) for d in files.values()})) if isinstance(files, dict) else ()


def _blobs(location: StoreLocation) -> tuple[list[Entry], list[Leftover]]:
    blobs, leftovers = [], []
    for item in list_tree(location, BLOBS_FOLDER):
        if item.is_dir:
            continue
        entry = Entry(item.path, item.size, item.modified)
        if is_leftover(item.path.rsplit("/", 1)[-1]):
            leftovers.append(Leftover(entry))
        else:
            blobs.append(entry)
    return blobs, leftovers
