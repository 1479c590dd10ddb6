"""The mini-batch cache of ParallelRunSteps: each mini-batch's result keyed by the code that
ran it and the fingerprints of its items, kept on the default datastore.

Layout under ``<datastore>/.mlpipelines/parallel_run/``: ``batches/<key>.json`` (a finished
mini-batch's result), ``layouts/<layout key>.json`` (how the last run under that code grouped
its files, with each group's key, so a re-run keeps unchanged groups without keying them
again), and ``runs/<run folder>/<task>/<key>.json``
(a result of one run that is not for reuse: a failure, or any result of a step that may not
be reused; read by that run's gathering task) beside ``runs/.../files.json`` (where the
run's local input files are, for its mapped tasks).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from mlpipelines._naming import path_safe
from mlpipelines.records import DatastoreSpec
from mlpipelines.records.reserved import INTERNAL_FOLDER
from mlpipelines.storage.datastores import location_of
from mlpipelines.storage.json_documents import JsonDocuments

SCHEMA_VERSION = 1
LAYOUT_SCHEMA = 2
"""Version 2 layouts keep each mini-batch as columns (names, fingerprints) with its key;
version 1 (no ``schema``: a list of (name, fingerprint) pairs a mini-batch) is still read."""


class EarlierBatch(NamedTuple):
    """A mini-batch an earlier run finished: its key (None from a version 1 layout) and its
    items' names and fingerprints, as columns."""

    key: str | None
    names: list[str]
    fingerprints: list[str]


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def code_key(
    snapshot_digest: str | None,
    entry_script: str | None,
    arguments: Sequence[str],
    settings: dict[str, Any],
    environment_variables: dict[str, str],
) -> str:
    """What decides how one mini-batch is processed, apart from its items: the entry
    script's snapshot, its arguments, the step's settings and environment."""
    return _digest(
        {
            "schema": SCHEMA_VERSION,
            "snapshot": snapshot_digest,
            "entry_script": entry_script,
            "arguments": list(arguments),
            "settings": settings,
            "environment_variables": environment_variables,
        }
    )


def layout_key(code: str, mini_batch_size: str, dataset: dict[str, Any]) -> str:
    """Where a run's grouping of files is kept: the code, the mini-batch size and the
    dataset's definition (another dataset, or size, groups its files afresh)."""
    return _digest({"code": code, "size": mini_batch_size, "dataset": dataset})


def mini_batch_key(code: str, items: Sequence[tuple[str, str]]) -> str:
    """A mini-batch's key: the code key and each item's (name, fingerprint), in order."""
    return _digest({"code": code, "items": [list(item) for item in items]})


class MiniBatchStore:
    """The mini-batch cache kept on one datastore (the step's default datastore)."""

    def __init__(self, store: DatastoreSpec) -> None:
        self.docs = JsonDocuments(location_of(store), f"{INTERNAL_FOLDER}/parallel_run")

    def results(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The finished results of those of ``keys`` that have one, read in one pass."""
        found = self.docs.read_all("batches", [f"{key}.json" for key in keys])
        return {
            key: result
            for key, result in zip(keys, found, strict=True)
            if isinstance(result, dict) and result.get("key") == key
        }

    def finished(self, keys: Sequence[str]) -> list[bool]:
        """Whether each key has a finished result, in one pass."""
        return self.docs.exist_all("batches", [f"{key}.json" for key in keys])

    def save_result(self, result: dict[str, Any]) -> None:
        self.docs.write(f"batches/{result['key']}.json", result, compact=True)

    @staticmethod
    def _run_name(run_folder: str, task_id: str, key: str) -> str:
        return f"runs/{run_folder}/{path_safe(task_id)}/{key}.json"

    def save_run_result(self, run_folder: str, task_id: str, result: dict[str, Any]) -> None:
        self.docs.write(self._run_name(run_folder, task_id, result["key"]), result, compact=True)

    def run_results(
        self, run_folder: str, task_id: str, keys: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """The results this run's tasks kept for those of ``keys`` that have one (not for
        reuse: failures, or a step that may not be reused), read in one pass."""
        folder = f"runs/{run_folder}/{path_safe(task_id)}"
        found = self.docs.read_all(folder, [f"{key}.json" for key in keys])
        return {
            key: result for key, result in zip(keys, found, strict=True) if isinstance(result, dict)
        }

    def save_run_files(self, run_folder: str, task_id: str, paths: dict[str, str]) -> None:
        """Where a run's local input files are (name -> path), so its mapped tasks need not
        list the dataset again."""
        self.docs.write(f"runs/{run_folder}/{path_safe(task_id)}/files.json", paths, compact=True)

    def run_files(self, run_folder: str, task_id: str) -> dict[str, str]:
        try:
            found: dict[str, str] = self.docs.read(
                f"runs/{run_folder}/{path_safe(task_id)}/files.json"
            )
        except (OSError, ValueError):
            return {}
        return found

    def layout(self, layout: str) -> list[EarlierBatch]:
        """The mini-batches the last run under ``layout`` finished (none from a damaged
        layout: every file then forms new mini-batches)."""
        try:
            found = self.docs.read(f"layouts/{layout}.json")
            if found.get("schema") == LAYOUT_SCHEMA:
                return [_earlier(b) for b in found["batches"]]
            return [
                EarlierBatch(None, [str(n) for n, _ in batch], [str(f) for _, f in batch])
                for batch in found.get("batches", [])
            ]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return []

    def save_layout(self, layout: str, batches: Sequence[EarlierBatch]) -> None:
        """Keep how this run grouped its files: each finished mini-batch with its key."""
        self.docs.write(
            f"layouts/{layout}.json",
            {
                "schema": LAYOUT_SCHEMA,
                "batches": [
                    {"key": b.key, "names": b.names, "fingerprints": b.fingerprints}
                    for b in batches
                ],
            },
            compact=True,
        )


def _earlier(batch: dict[str, Any]) -> EarlierBatch:
    key, names, fingerprints = batch["key"], batch["names"], batch["fingerprints"]
    if not (isinstance(key, str) and isinstance(names, list) and isinstance(fingerprints, list)):
        raise TypeError("not a version 2 layout's mini-batch")
    return EarlierBatch(key, names, fingerprints)
