"""What ``mlpipelines gc`` found, as plain records: the planner decides from these alone.

Paths on a datastore are relative to its root; paths on this machine are absolute. Times are
seconds since the epoch; ``modified`` of a folder is the newest change anywhere inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RunId = tuple[str, str]
"""A run as its folders name it: (dag id, run folder), the folder being ``path_safe(run_id)``."""


@dataclass(frozen=True)
class Entry:
    """One file or folder, its size (all files inside a folder) and newest change."""

    path: str
    bytes: int
    modified: float


@dataclass(frozen=True)
class RunData:
    """One run's folder of one kind: ``outputs`` (``pipelinedata/<dag>/<run>``), ``artifacts``
    (``artifacts/<dag>/<run>``) or ``parallel_run`` (its ParallelRunStep records). For
    outputs, ``parts`` are its output folders (``.../<task>/<output>``)."""

    run: RunId
    kind: str
    entry: Entry
    parts: tuple[Entry, ...] = ()


@dataclass(frozen=True)
class ManifestFact:
    """A reuse manifest: the run that made it and the outputs it hands on, those on the
    surveyed datastore as paths. ``dangling``: one of those is gone already; ``damaged``:
    it could not be read (reuse ignores it)."""

    entry: Entry
    key: str
    run: RunId | None
    outputs: tuple[str, ...] = ()
    dangling: bool = False
    damaged: bool = False


@dataclass(frozen=True)
class MarkerFact:
    """An in-progress marker; ``alive`` when its holder still heartbeats (and, on this
    machine, its process lives)."""

    entry: Entry
    key: str
    run: RunId | None
    alive: bool


@dataclass(frozen=True)
class Leftover:
    """A temporary a killed task left on the datastore (``.partial-``, ``.stale-``, half-built
    snapshot, unfinished JSON); ``run`` when it lies in a run's folder."""

    entry: Entry
    run: RunId | None = None


@dataclass(frozen=True)
class SnapshotFact:
    """A source snapshot named ``<algorithm>-<hex>``: its folder and/or listing, and the blobs
    its listing names."""

    name: str
    entries: tuple[Entry, ...]
    blobs: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoreFacts:
    """What the default datastore holds that gc may remove."""

    datastore: str
    runs: tuple[RunData, ...] = ()
    manifests: tuple[ManifestFact, ...] = ()
    markers: tuple[MarkerFact, ...] = ()
    leftovers: tuple[Leftover, ...] = ()
    snapshots: tuple[SnapshotFact, ...] = ()
    blobs: tuple[Entry, ...] = ()
    reuse_listings: tuple[Entry, ...] = ()
    """``.mlpipelines/reuse/snapshots/<name>.json``: what explains a changed snapshot."""
    step_record_snapshots: frozenset[str] = frozenset()
    """The snapshot names the steps' last records name (their listings are still needed)."""


@dataclass(frozen=True)
class SpecDoc:
    """A stored pipeline spec: ``name`` is its DAG id (``specs/``) or digest
    (``specs-by-digest/``); ``snapshots`` are the snapshot names it points at."""

    entry: Entry
    name: str
    digest: str
    snapshots: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ControlFacts:
    """The control store: specs, and what the records point at."""

    specs: tuple[SpecDoc, ...] = ()
    specs_by_digest: tuple[SpecDoc, ...] = ()
    recorded_dag_ids: frozenset[str] = frozenset()
    """DAGs a published pipeline, a schedule or an experiment record names."""
    draft_digests: frozenset[str] = frozenset()
    record_snapshots: frozenset[str] = frozenset()
    """Snapshots records name directly (module versions)."""


@dataclass(frozen=True)
class TempFolder:
    """A task's ``mlpipelines-*`` folder in this machine's temp folder; ``in_use`` while a live
    process works in it, names it in its environment or arguments, or holds a file in it."""

    entry: Entry
    in_use: bool


@dataclass(frozen=True)
class StatCacheFact:
    """A stat cache file; ``roots_exist`` while a file it remembers is still there."""

    entry: Entry
    roots_exist: bool


@dataclass(frozen=True)
class MachineFacts:
    """This machine's part: temp work folders and stat caches."""

    temp_folders: tuple[TempFolder, ...] = ()
    stat_caches: tuple[StatCacheFact, ...] = ()
    leftovers: tuple[Entry, ...] = ()
    inspectable: bool = True
    """False where live processes cannot be inspected (no /proc): temp folders are kept."""


@dataclass(frozen=True)
class AirflowFacts:
    """What Airflow said: runs queued or running, the outputs on the surveyed datastore they
    read (their own and those reused from earlier runs), and the spec digests of those runs
    and of each pipeline's newest kept runs. ``reachable=False`` when gc runs offline."""

    reachable: bool
    active_runs: frozenset[RunId] = frozenset()
    in_use_outputs: frozenset[str] = frozenset()
    spec_digests: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Facts:
    """Everything the planner reads; ``control`` and ``machine`` are None when not surveyed."""

    store: StoreFacts
    airflow: AirflowFacts
    control: ControlFacts | None = None
    machine: MachineFacts | None = None
    notes: tuple[str, ...] = field(default=())
