"""What the control store holds that gc weighs: specs (current and kept by digest) and what
published pipelines, schedules, experiments, drafts and modules point at."""

from __future__ import annotations

import json
import re
from typing import Any

from mlpipelines.gc.facts import ControlFacts, Entry, SpecDoc
from mlpipelines.gc.store_listing import list_tree
from mlpipelines.publishing.modules import MODULES_COLLECTION
from mlpipelines.publishing.records import (
    DRAFTS_FOLDER,
    EXPERIMENTS_FOLDER,
    PUBLISHED_FOLDER,
    SCHEDULES_FOLDER,
)
from mlpipelines.records.reserved import INTERNAL_FOLDER
from mlpipelines.storage.deployment import Deployment
from mlpipelines.storage.location import StoreLocation
from mlpipelines.translate.spec import SPECS_BY_DIGEST_COLLECTION, SPECS_COLLECTION, spec_digest

SNAPSHOT_NAME = re.compile(r"snapshot-files/([A-Za-z0-9_]+-[0-9a-f]+)")
"""How any document names a snapshot: its path (``.mlpipelines/snapshot-files/<name>``)."""


def specs_location(deployment: Deployment) -> StoreLocation | None:
    """The datastore holding the control store, as this process reaches it directly; None
    for a client that reaches it only over REST."""
    if deployment.remote_control_store is not None or deployment.uses_rest_store:
        return None
    name = deployment.specs_datastore()
    if deployment.datastore_spec(name).is_local:
        return StoreLocation.local(deployment.datastore_root(name), name)
    from mlpipelines.storage.datastores import location_of

    return location_of(deployment.datastore_spec(name))


def survey_control(location: StoreLocation) -> ControlFacts:
    """The control store's facts, read from the datastore that holds it."""
    specs = [_spec(entry, text) for entry, text in _documents(location, SPECS_COLLECTION)]
    by_digest = [
        _spec(entry, text) for entry, text in _documents(location, SPECS_BY_DIGEST_COLLECTION)
    ]
    recorded: set[str] = set()
    for folder in (PUBLISHED_FOLDER, SCHEDULES_FOLDER):
        recorded |= {str(_json(t).get("dag_id")) for _, t in _documents(location, folder)}
    for _, text in _documents(location, EXPERIMENTS_FOLDER):
        recorded |= {str(d) for d in _json(text).get("dag_ids") or []}
    drafts = {str(_json(t).get("spec_digest")) for _, t in _documents(location, DRAFTS_FOLDER)}
    modules: set[str] = set()
    for _, text in _documents(location, MODULES_COLLECTION):
        modules |= set(SNAPSHOT_NAME.findall(text))
    return ControlFacts(
        specs=tuple(s for s in specs if s is not None),
        specs_by_digest=tuple(s for s in by_digest if s is not None),
        recorded_dag_ids=frozenset(recorded),
        draft_digests=frozenset(drafts),
        record_snapshots=frozenset(modules),
    )


def _documents(location: StoreLocation, collection: str) -> list[tuple[Entry, str]]:
    """Each JSON document of a collection (nested ones too), with its text."""
    found = []
    for item in list_tree(location, f"{INTERNAL_FOLDER}/{collection}"):
        name = item.path.rsplit("/", 1)[-1]
        if item.is_dir or name.startswith(".") or not name.endswith(".json"):
            continue
        try:
            if location.is_local:
                with open(location.path(item.path), encoding="utf-8") as source:
                    text = source.read()
            else:
                text = location.fs.cat_file(location.path(item.path)).decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # removed since the listing
        found.append((Entry(item.path, item.size, item.modified), text))
    return found


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _spec(entry: Entry, text: str) -> SpecDoc | None:
    data = _json(text)
    if not data:
        return None  # damaged: left for a person to look at
    name = entry.path.rsplit("/", 1)[-1].removesuffix(".json")
    return SpecDoc(entry, name, spec_digest(data), frozenset(SNAPSHOT_NAME.findall(text)))
