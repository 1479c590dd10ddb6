"""What gc removes: one ``Removal`` per file or folder, in categories applied in order."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Place(Enum):
    """Where a removal's path lies."""

    DATASTORE = "datastore"  # the default datastore (relative path)
    SPECS = "specs"  # the control store's datastore (relative path)
    MACHINE = "machine"  # this machine (absolute path)


class Category(Enum):
    """A kind of removal. Declared in the order they are applied: what points at data goes
    before the data (a manifest before its outputs, a spec before its snapshot, a listing
    before its blobs), so no reader ever finds a pointer to something already gone."""

    MANIFESTS = ("reuse manifests", Place.DATASTORE)
    MARKERS = ("stale reuse markers", Place.DATASTORE)
    OUTPUTS = ("run outputs (PipelineData)", Place.DATASTORE)
    ARTIFACTS = ("run artifacts (logs, metrics)", Place.DATASTORE)
    PARALLEL_RUN = ("ParallelRunStep run records", Place.DATASTORE)
    LEFTOVERS = ("leftovers of killed tasks", Place.DATASTORE)
    SPECS = ("specs with no record", Place.SPECS)
    SPECS_BY_DIGEST = ("specs kept by digest", Place.SPECS)
    SNAPSHOTS = ("source snapshots", Place.DATASTORE)
    BLOBS = ("snapshot blobs", Place.DATASTORE)
    REUSE_LISTINGS = ("reuse snapshot listings", Place.DATASTORE)
    TEMP_FOLDERS = ("temp work folders", Place.MACHINE)
    STAT_CACHES = ("stat caches", Place.MACHINE)

    @property
    def title(self) -> str:
        return str(self.value[0])

    @property
    def place(self) -> Place:
        place: Place = self.value[1]
        return place

    @property
    def order(self) -> int:
        return list(Category).index(self)


@dataclass(frozen=True)
class Removal:
    """Remove ``path`` (``bytes`` in it) for ``reason``. ``unchanged_since``: remove only if
    it has not changed since then (a marker or manifest rewritten meanwhile is kept)."""

    path: str
    bytes: int
    reason: str
    category: Category
    unchanged_since: float | None = None

    @property
    def place(self) -> Place:
        return self.category.place


def in_order(removals: list[Removal]) -> list[Removal]:
    """The removals in the order they must be applied (stable within a category)."""
    return sorted(removals, key=lambda r: r.category.order)
