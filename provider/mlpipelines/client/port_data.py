"""``PortDataReference``: where a step run's output is (``step_run.get_output_data(name)``),
and downloading it to this machine as the old SDK's ``.download(local_path)`` does."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from mlpipelines.records import OutputReference


def open_location(workspace: Any, datastore_name: str) -> Any:
    """A workspace's datastore opened for I/O from the client (a ``StoreLocation``)."""
    store = workspace.datastores.get(datastore_name)
    if store is not None:
        return store.location
    from mlpipelines.storage.connections import open_datastore

    return open_datastore(datastore_name, workspace)


class PortDataReference(Mapping[str, Any]):
    """One output of a step run: ``datastore_name``, ``path_on_datastore``, ``download()``.

    It also stands for the old ``StepRunOutput`` (``get_port_data_reference()`` returns it)
    and still reads as the XCom reference it was built from (``ref["uri"]``, ``ref["path"]``).
    """

    def __init__(self, workspace: Any, name: str, reference: dict[str, Any]) -> None:
        self._workspace = workspace
        self.name = name
        self._json = dict(reference)
        self._ref = OutputReference.from_json(reference)

    @property
    def datastore_name(self) -> str:
        return self._ref.datastore

    @property
    def path_on_datastore(self) -> str:
        return self._ref.path

    @property
    def data_reference_name(self) -> str:
        return self.name

    @property
    def uri(self) -> str:
        return self._ref.uri

    def get_port_data_reference(self) -> PortDataReference:
        """The reference itself (the old SDK's ``StepRunOutput`` wrapped one)."""
        return self

    def download(
        self,
        local_path: str | os.PathLike[str],
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> str:
        """Copy the output's files under ``local_path``, keeping their datastore path, and
        return ``<local_path>/<path_on_datastore>`` (as the old SDK did)."""
        from mlpipelines.storage.transfer import download

        location = open_location(self._workspace, self.datastore_name)
        download(location, self.path_on_datastore, local_path, overwrite, show_progress)
        return os.path.join(os.fspath(local_path), self.path_on_datastore)

    def __getitem__(self, key: str) -> Any:
        return self._json[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._json)

    def __len__(self) -> int:
        return len(self._json)

    def __repr__(self) -> str:
        return (
            f"PortDataReference(name={self.name!r}, datastore_name={self.datastore_name!r}, "
            f"path_on_datastore={self.path_on_datastore!r})"
        )
