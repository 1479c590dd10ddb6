"""The reuse cache on a datastore: manifests, per-step records, snapshot listings, markers.

Layout under ``<datastore>/.mlpipelines/``: ``reuse/<key>.json`` (a manifest, written only
after every output is committed), ``reuse/<key>.inprogress`` (a run computing that key),
``reuse/steps/<dag_id>/<task_id>.json`` (the last key of a step, to explain the next miss),
``snapshots/<digest>.json`` (the files of a source snapshot). The datastore is a local
folder, Azure Blob or S3 (see ``storage.json_documents``).
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from mlpipelines._naming import path_safe
from mlpipelines.errors import UserErrorException
from mlpipelines.records import DatastoreSpec, OutputReference
from mlpipelines.records.reserved import INTERNAL_FOLDER
from mlpipelines.snapshot import fingerprint_path
from mlpipelines.storage.datastores import location_of
from mlpipelines.storage.json_documents import JsonDocuments

MARKER_STALE_SECONDS = 90.0


@dataclass
class Manifest:
    """What a finished step produced under one key, and which run produced it."""

    key: str
    dag_id: str
    run_id: str
    task_id: str
    outputs: dict[str, OutputReference]
    metrics: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "dag_id": self.dag_id,
            "run_id": self.run_id,
            "task_id": self.task_id,
            "outputs": {name: ref.to_json() for name, ref in self.outputs.items()},
            "metrics": self.metrics,
            "created": self.created,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            **{k: data[k] for k in ("key", "dag_id", "run_id", "task_id")},
            outputs={n: OutputReference.from_json(r) for n, r in data["outputs"].items()},
            metrics=data.get("metrics", {}),
            created=data.get("created", 0.0),
        )


@dataclass
class Holder:
    """Who is computing a key right now; alive while it heartbeats (and its process lives)."""

    dag_id: str
    run_id: str
    task_id: str
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    heartbeat: float = field(default_factory=time.time)

    def same_task(self, other: Holder) -> bool:
        return (self.dag_id, self.run_id, self.task_id) == (
            other.dag_id,
            other.run_id,
            other.task_id,
        )

    def alive(self) -> bool:
        if time.time() - self.heartbeat > MARKER_STALE_SECONDS:
            return False
        if self.host == socket.gethostname():
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
        return True


def _output_problem(ref: OutputReference) -> str | None:
    """Why a recorded output cannot be handed on (gone, or changed since), else None.

    Outputs that recorded what their store said of them (remote uploads, copies) are compared
    by that (etags, sizes, mtimes); other local outputs are re-hashed (a stat cache keeps that
    cheap).
    """
    from mlpipelines.storage.data_locations import reference_location
    from mlpipelines.storage.location import DatastoreAccessError

    try:
        data = reference_location(ref)
        if not data.exists():
            return "is gone"
        recorded: str | None
        if ref.store_fingerprint is not None:
            found, recorded = data.store_fingerprint(), ref.store_fingerprint
        elif data.local_path is not None:
            found, recorded = fingerprint_path(data.local_path), ref.fingerprint
        else:
            return "has no recorded fingerprint"
    except (FileNotFoundError, OSError):
        return "is gone"
    except (UserErrorException, DatastoreAccessError) as exc:
        return f"cannot be checked ({exc})"
    return "has changed since" if found != recorded else None


class ReuseStore:
    """The reuse cache kept on one datastore (a local folder, Azure Blob or S3)."""

    def __init__(self, store: DatastoreSpec) -> None:
        self.docs = JsonDocuments(location_of(store), INTERNAL_FOLDER)

    @staticmethod
    def _manifest_name(key: str) -> str:
        return f"reuse/{key}.json"

    @staticmethod
    def _marker_name(key: str) -> str:
        return f"reuse/{key}.inprogress"

    # -- manifests ----------------------------------------------------------------------------
    def load_manifest(self, key: str) -> tuple[Manifest | None, str | None]:
        """The manifest of ``key`` if its outputs are all there unchanged; else None and,
        where a manifest exists but cannot be trusted, the reason it was ignored."""
        name = f"{key}.json"
        try:
            manifest = Manifest.from_dict(self.docs.read(self._manifest_name(key)))
        except FileNotFoundError:
            return None, None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return None, f"manifest {name} is damaged ({type(exc).__name__}: {exc}); ignored"
        if manifest.key != key:
            return None, f"manifest {name} names another key ({manifest.key}); ignored"
        for output, ref in manifest.outputs.items():
            problem = _output_problem(ref)
            if problem:
                return None, f"manifest {name}: output {output} {problem}; ignored"
        return manifest, None

    def write_manifest(self, manifest: Manifest) -> None:
        """Record a key's outputs; call only after every output is committed."""
        self.docs.write(self._manifest_name(manifest.key), manifest.to_dict())

    # -- step records (for explanations) ------------------------------------------------------
    @staticmethod
    def _step_name(dag_id: str, task_id: str) -> str:
        return f"reuse/steps/{path_safe(dag_id)}/{path_safe(task_id)}.json"

    def record_step(
        self,
        dag_id: str,
        task_id: str,
        key: str,
        components: dict[str, Any],
        snapshot_files: dict[str, str] | None,
    ) -> None:
        """Remember the key a step last ran under, and its snapshot's files."""
        self.docs.write(self._step_name(dag_id, task_id), {"key": key, "components": components})
        snapshot = components.get("snapshot")
        if snapshot and snapshot_files is not None:
            listing = f"snapshots/{path_safe(snapshot)}.json"
            if not self.docs.exists(listing):
                self.docs.write(listing, snapshot_files)

    def last_step_record(
        self, dag_id: str, task_id: str
    ) -> tuple[dict[str, Any] | None, dict[str, str] | None]:
        """The components a step last ran under, and that run's snapshot files, if known."""
        try:
            record = self.docs.read(self._step_name(dag_id, task_id))
        except (OSError, ValueError):
            return None, None
        snapshot = record.get("components", {}).get("snapshot")
        files = None
        if snapshot:
            try:
                files = self.docs.read(f"snapshots/{path_safe(snapshot)}.json")
            except (OSError, ValueError):
                files = None
        return record.get("components"), files

    # -- in-progress markers ------------------------------------------------------------------
    def holder_of(self, key: str) -> Holder | None:
        """The live holder of ``key``'s marker, if any."""
        try:
            holder = Holder(**self.docs.read(self._marker_name(key)))
        except (OSError, ValueError, TypeError):
            return None
        return holder if holder.alive() else None

    def claim(self, key: str, me: Holder) -> Holder | None:
        """Mark ``key`` as being computed by ``me``; returns another live holder instead when
        there is one (then nothing is written).

        The marker appears with its content in one step (see ``JsonDocuments.create``), so a
        contender never reads a half-written marker and takes it for a dead one. A dead
        holder's marker (or our own task's, from an earlier try) is taken over first.
        """
        name = self._marker_name(key)
        for _ in range(5):
            if self.docs.create(name, asdict(me)):
                return None
            other = self.holder_of(key)
            if other is not None and not other.same_task(me):
                return other
            self.docs.take_over(name)
        return self.holder_of(key) or me

    def heartbeat(self, key: str, me: Holder) -> None:
        me.heartbeat = time.time()
        self.docs.write(self._marker_name(key), asdict(me))

    def release(self, key: str, me: Holder) -> None:
        """Remove ``me``'s marker of ``key`` (another holder's is left alone)."""
        try:
            holder = Holder(**self.docs.read(self._marker_name(key)))
        except (OSError, ValueError, TypeError):
            return
        if holder.same_task(me):
            self.docs.delete(self._marker_name(key))
