"""A watched folder on a datastore: its files' identities compared with the last state
recorded, each state a create-once JSON document, so that of two polls seeing the same
change only one claims it (and starts runs for it)."""

from __future__ import annotations

from typing import Any

from mlpipelines.records.reserved import INTERNAL_FOLDER
from mlpipelines.storage.fingerprint import file_identity, list_files
from mlpipelines.storage.json_documents import JsonDocuments
from mlpipelines.storage.location import StoreLocation

WATCH_FOLDER = f"{INTERNAL_FOLDER}/watch"


def folder_state(location: StoreLocation, path: str) -> dict[str, str]:
    """Each file under ``path`` (its datastore path) and its identity; a missing folder is
    empty (the path may appear later)."""
    try:
        found = list_files(location, path)
    except FileNotFoundError:
        return {}
    prefix = path.strip("/")
    state = {}
    for rel, info in found:
        full = "/".join(p for p in (prefix, rel) if p)
        if full.split("/", 1)[0] == INTERNAL_FOLDER:
            continue
        size, tag = file_identity(info)
        state[full] = f"{size}:{tag}"
    return state


class PathWatch:
    """The recorded states of one watch (``<state store>/.mlpipelines/watch/<watch_id>/``)."""

    def __init__(self, state_location: StoreLocation, watch_id: str) -> None:
        self.docs = JsonDocuments(state_location, f"{WATCH_FOLDER}/{watch_id}")

    def latest(self) -> tuple[int, dict[str, str]]:
        """The newest state's number and files (-1 and nothing before the first)."""
        fs = self.docs.location.fs
        try:
            names = [str(p).rsplit("/", 1)[-1] for p in fs.ls(self.docs.path(""), detail=False)]
        except FileNotFoundError:
            names = []
        numbers = sorted(int(n[:-5]) for n in names if n.endswith(".json") and n[:-5].isdigit())
        if not numbers:
            return -1, {}
        data: dict[str, Any] = self.docs.read(f"{numbers[-1]:08d}.json")
        return numbers[-1], dict(data["files"])

    def record_baseline(self, state: dict[str, str]) -> None:
        """The state a new watch starts from: files already there start no run."""
        self.docs.create(f"{0:08d}.json", {"files": state})

    def claim_changes(self, state: dict[str, str]) -> list[str]:
        """Files new or changed since the last state, recorded as the next state; empty when
        nothing changed or another poll recorded this change first."""
        number, last = self.latest()
        changed = sorted(path for path, identity in state.items() if last.get(path) != identity)
        if state == last:
            return []
        # A removal alone is recorded too, so that the file coming back counts as new.
        if not self.docs.create(f"{number + 1:08d}.json", {"files": state}):
            return []
        return changed
