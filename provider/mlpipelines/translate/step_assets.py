"""A step's datastore inputs and outputs as Airflow Assets: its inlets and outlets, so the
Assets page shows what each step reads and writes, and each successful run an asset event.

Built at parse time from the datastore specs alone (no connection, no network, no secret):

- a local folder (its own path, or ``<Airflow home>/mlpipelines/<name>``) gives ``file://``
  URIs of the real place;
- any other datastore keeps its place in its Airflow connection, which parsing never reads,
  so its URIs are ``x-mlpipelines://<datastore>/<path>``: the datastore, not a container or
  bucket the URI would only pretend to know (``x-`` is Airflow's prefix for schemes it does
  not normalize). The run's real URI travels in each asset event's ``extra``.

A PipelineData is a new folder each run, ``pipelinedata/<dag>/<run>/<task>/<name>``: its asset
stands for all of them, with ``*`` for the run. A producer's outlet is the very object its
consumers have as inlet; a DataPath input (its place chosen per run) and a registered dataset
(resolved when the step runs) have none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

import attrs
from airflow.sdk import Asset
from airflow.sdk.definitions.asset import AssetAccessControl

from mlpipelines.records import (
    DataReferenceInput,
    DataReferenceOutput,
    DatasetInput,
    DatastoreSpec,
    PipelineDataInput,
    StepDefinition,
    StepOutput,
)
from mlpipelines.records.datastore import CONNECTION_KIND
from mlpipelines.records.outputs import RUN_ID_PLACEHOLDER
from mlpipelines.records.reserved import PIPELINE_DATA_FOLDER
from mlpipelines.storage.deployment import (
    DEFAULT_DATASTORES,
    default_datastore_spec,
    local_datastore_root,
)

ASSET_SCHEME = "x-mlpipelines"
ANY_RUN = "*"
_SAFE = "/*-._~"
_PLAIN = re.compile(r"[A-Za-z0-9/*._~-]*")  # what quote(path, safe=_SAFE) leaves as it is
_NAME_LIMIT = 1500  # Airflow's limit on an asset's name and URI
_FIELDS = ("name", "uri", "group", "extra", "watchers", "access_control")
_GROUP = Asset.asset_type
_ACCESS = AssetAccessControl()
_new = object.__new__
_set = object.__setattr__


def new_asset(name: str, uri: str) -> Asset:
    """``Asset(name=name, uri=uri)`` for a name and URI built here (valid, normalized: no
    trailing slash, query or fragment), without attrs' validators and URI parsing: a fifth
    of the cost, which a 1,000-step DAG pays a thousand times at every parse. Anything else
    takes Airflow's own way, as does every asset should Asset's fields change. The assets
    share one default access control (Airflow only reads it)."""
    if not _FAST or len(name) > _NAME_LIMIT or len(uri) > _NAME_LIMIT or not name.isascii():
        return Asset(name=name, uri=uri)
    asset = _new(Asset)
    _set(asset, "name", name)
    _set(asset, "uri", uri)
    _set(asset, "group", _GROUP)
    _set(asset, "extra", {})
    _set(asset, "watchers", [])
    _set(asset, "access_control", _ACCESS)
    return asset


def _fast_path_holds() -> bool:
    """Whether ``new_asset`` builds what Airflow's constructor does (checked once)."""
    if tuple(f.name for f in attrs.fields(Asset)) != _FIELDS:
        return False
    probe = ("ws/data/x", "file:///tmp/ws/data/x")
    global _FAST
    _FAST = True
    try:
        return new_asset(*probe) == Asset(name=probe[0], uri=probe[1])
    finally:
        _FAST = False


_FAST = False
_FAST = _fast_path_holds()


def place_uri(
    store: DatastoreSpec, path: str, roots: dict[DatastoreSpec, str] | None = None
) -> str:
    """The URI of ``path`` on ``store`` (see the module's docstring); ``roots`` caches each
    store's own part."""
    root = roots.get(store) if roots is not None else None
    if root is None:
        if store.is_local:
            root = "file://" + quote(str(local_datastore_root(store)).rstrip("/"), safe=_SAFE)
        else:
            root = f"{ASSET_SCHEME}://{quote(store.name, safe='-._~')}"
        if roots is not None:
            roots[store] = root
    if not path:
        return root
    return f"{root}/{path if _PLAIN.fullmatch(path) else quote(path, safe=_SAFE)}"


def _clean(path: str) -> str:
    return path.replace("\\", "/").strip("/")


class StepAssets:
    """The Assets of one DAG's steps, one object per place."""

    def __init__(self, dag_id: str, definitions: Mapping[str, StepDefinition]) -> None:
        self.dag_id = dag_id
        self.definitions = definitions
        # Keyed by "<datastore>\n<path>" and "<task id>\n<output>": strings, unlike tuples, are
        # no work for the garbage collector, which a 1,000-step parse runs ~80 times.
        self._assets: dict[str, Asset] = {}
        self._outputs: dict[str, Asset] = {}
        self._roots: dict[DatastoreSpec, str] = {}

    def outlets(self, definition: StepDefinition) -> list[Asset]:
        """One asset per output, in the order of ``definition.outputs``."""
        return [self._output_asset(definition.task_id, output) for output in definition.outputs]

    def inlets(self, definition: StepDefinition) -> list[Asset]:
        """The assets of the inputs whose place is known before the run."""
        found: list[Asset] = []
        for spec in definition.inputs:
            if isinstance(spec, PipelineDataInput):
                known = self._outputs.get(f"{spec.producer}\n{spec.data}")
                if known is not None:  # the producer came first, as plans order them
                    found.append(known)
                    continue
                producer = self.definitions.get(spec.producer)
                output = (
                    next((o for o in producer.outputs if o.name == spec.data), None)
                    if producer is not None
                    else None
                )
                if output is not None:
                    found.append(self._output_asset(spec.producer, output))
            elif isinstance(spec, DataReferenceInput):
                found.append(self._place(spec.datastore, _clean(spec.path_on_datastore)))
            elif isinstance(spec, DatasetInput):
                found.extend(self._dataset_sources(spec))
        return found

    def _output_asset(self, task_id: str, output: StepOutput) -> Asset:
        key = f"{task_id}\n{output.name}"
        asset = self._outputs.get(key)
        if asset is not None:
            return asset
        if isinstance(output, DataReferenceOutput):
            path = _clean(output.path_on_datastore)
        elif output.destination is not None:
            path = _clean(output.destination.replace(RUN_ID_PLACEHOLDER, ANY_RUN))
        else:
            path = f"{PIPELINE_DATA_FOLDER}/{self.dag_id}/{ANY_RUN}/{task_id}/{output.name}"
        asset = self._outputs[key] = self._place(output.datastore, path)
        return asset

    def _dataset_sources(self, spec: DatasetInput) -> list[Asset]:
        found = []
        for source in spec.dataset.get("sources") or ():
            if source.get("url"):
                found.append(self._url(str(source["url"])))
            elif source.get("datastore"):
                name = str(source["datastore"])
                store = spec.stores.get(name) or _store_named(name)
                found.append(self._place(store, _clean(str(source.get("path") or ""))))
        return found

    def _place(self, store: DatastoreSpec, path: str) -> Asset:
        key = f"{store.name}\n{path}"
        asset = self._assets.get(key)
        if asset is None:
            name = f"{store.name}/{path}" if path else store.name
            asset = self._assets[key] = new_asset(name, place_uri(store, path, self._roots))
        return asset

    def _url(self, url: str) -> Asset:
        asset = self._assets.get(url)
        if asset is None:
            asset = self._assets[url] = Asset(name=url, uri=url)
        return asset


def _store_named(name: str) -> DatastoreSpec:
    """A datastore a dataset names without a registered spec: a default one where it lives,
    else the Airflow connection of that name."""
    if name in DEFAULT_DATASTORES:
        return default_datastore_spec(name)
    return DatastoreSpec(name, CONNECTION_KIND)
