"""The reuse cache on a datastore: manifests, per-step records, snapshot listings, markers.

Layout under ``<datastore>/.mlpipelines/``: ``reuse/<key>.json`` (a manifest, written only
after every output is committed), ``reuse/<key>.inprogress`` (a run computing that key),
``reuse/steps/<dag_id>/<task_id>.json`` (the last key of a step, to explain the next miss),
``snapshots/<digest>.json`` (the files of a source snapshot).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlpipelines._json_files import write_json_atomic
from mlpipelines._naming import path_safe
from mlpipelines.errors import UserErrorException
from mlpipelines.reuse.fingerprints import fingerprint_path
from mlpipelines.runtime.datastores import datastore_root

MARKER_STALE_SECONDS = 90.0


@dataclass
class Manifest:
    """What a finished step produced under one key, and which run produced it."""

    key: str
    dag_id: str
    run_id: str
    task_id: str
    outputs: dict[str, dict[str, Any]]
    metrics: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.time)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            **{k: data[k] for k in ("key", "dag_id", "run_id", "task_id", "outputs")},
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


def _output_problem(ref: dict[str, Any]) -> str | None:
    """Why a recorded output cannot be handed on (gone, or changed since), else None.

    Outputs that recorded what their store said of them (remote uploads, copies) are compared
    by that (etags, sizes, mtimes); other local outputs are re-hashed (a stat cache keeps that
    cheap).
    """
    from mlpipelines.runtime.data_locations import reference_location
    from mlpipelines.storage.location import DatastoreAccessError

    try:
        data = reference_location(ref)
        if not data.exists():
            return "is gone"
        if "store_fingerprint" in ref:
            found, recorded = data.store_fingerprint(), ref["store_fingerprint"]
        elif data.local_path is not None:
            found, recorded = fingerprint_path(data.local_path), ref.get("fingerprint")
        else:
            return "has no recorded fingerprint"
    except (FileNotFoundError, OSError):
        return "is gone"
    except (UserErrorException, DatastoreAccessError) as exc:
        return f"cannot be checked ({exc})"
    return "has changed since" if found != recorded else None


def _create_with_content(path: Path, data: dict[str, Any]) -> bool:
    """Create ``path`` holding ``data`` as JSON, atomically; False if it exists already."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)


class ReuseStore:
    """The reuse cache kept on one (local-folder) datastore."""

    def __init__(self, store: dict[str, Any]) -> None:
        self.root = datastore_root(store)
        self.base = self.root / ".mlpipelines"

    def _manifest_path(self, key: str) -> Path:
        return self.base / "reuse" / f"{key}.json"

    def _marker_path(self, key: str) -> Path:
        return self.base / "reuse" / f"{key}.inprogress"

    # -- manifests ----------------------------------------------------------------------------
    def load_manifest(self, key: str) -> tuple[Manifest | None, str | None]:
        """The manifest of ``key`` if its outputs are all there unchanged; else None and,
        where a manifest exists but cannot be trusted, the reason it was ignored."""
        path = self._manifest_path(key)
        try:
            manifest = Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None, None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return None, f"manifest {path.name} is damaged ({type(exc).__name__}: {exc}); ignored"
        if manifest.key != key:
            return None, f"manifest {path.name} names another key ({manifest.key}); ignored"
        for name, ref in manifest.outputs.items():
            problem = _output_problem(ref)
            if problem:
                return None, f"manifest {path.name}: output {name} {problem}; ignored"
        return manifest, None

    def write_manifest(self, manifest: Manifest) -> None:
        """Record a key's outputs; call only after every output is committed."""
        write_json_atomic(self._manifest_path(manifest.key), asdict(manifest))

    # -- step records (for explanations) ------------------------------------------------------
    def _step_path(self, dag_id: str, task_id: str) -> Path:
        return self.base / "reuse" / "steps" / path_safe(dag_id) / f"{path_safe(task_id)}.json"

    def record_step(
        self,
        dag_id: str,
        task_id: str,
        key: str,
        components: dict[str, Any],
        snapshot_files: dict[str, str] | None,
    ) -> None:
        """Remember the key a step last ran under, and its snapshot's files."""
        write_json_atomic(self._step_path(dag_id, task_id), {"key": key, "components": components})
        snapshot = components.get("snapshot")
        if snapshot and snapshot_files is not None:
            listing = self.base / "snapshots" / f"{path_safe(snapshot)}.json"
            if not listing.exists():
                write_json_atomic(listing, snapshot_files)

    def last_step_record(
        self, dag_id: str, task_id: str
    ) -> tuple[dict[str, Any] | None, dict[str, str] | None]:
        """The components a step last ran under, and that run's snapshot files, if known."""
        try:
            record = json.loads(self._step_path(dag_id, task_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None, None
        snapshot = record.get("components", {}).get("snapshot")
        files = None
        if snapshot:
            try:
                listing = self.base / "snapshots" / f"{path_safe(snapshot)}.json"
                files = json.loads(listing.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                files = None
        return record.get("components"), files

    # -- in-progress markers ------------------------------------------------------------------
    def holder_of(self, key: str) -> Holder | None:
        """The live holder of ``key``'s marker, if any."""
        try:
            holder = Holder(**json.loads(self._marker_path(key).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None
        return holder if holder.alive() else None

    def claim(self, key: str, me: Holder) -> Holder | None:
        """Mark ``key`` as being computed by ``me``; returns another live holder instead when
        there is one (then nothing is written).

        The marker appears with its content in one step (a hard link of a finished temp
        file), so a contender never reads a half-written marker and takes it for a dead one.
        A dead holder's marker (or our own task's, from an earlier try) is moved aside first;
        only one contender can move it, and the others then meet the new marker.
        """
        path = self._marker_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(5):
            if _create_with_content(path, asdict(me)):
                return None
            other = self.holder_of(key)
            if other is not None and not other.same_task(me):
                return other
            aside = path.with_name(f"{path.name}.stale-{uuid.uuid4().hex[:12]}")
            with contextlib.suppress(FileNotFoundError):
                os.rename(path, aside)
                aside.unlink()
        return self.holder_of(key) or me

    def heartbeat(self, key: str, me: Holder) -> None:
        me.heartbeat = time.time()
        write_json_atomic(self._marker_path(key), asdict(me))

    def release(self, key: str, me: Holder) -> None:
        """Remove ``me``'s marker of ``key`` (another holder's is left alone)."""
        path = self._marker_path(key)
        try:
            holder = Holder(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return
        if holder.same_task(me):
            path.unlink(missing_ok=True)
