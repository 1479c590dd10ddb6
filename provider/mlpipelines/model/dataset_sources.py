"""Where dataset rows come from: ``DataPath``, column types, and the source records a
dataset keeps (a datastore name and path, or a URL; never a credential)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeGuard

from mlpipelines.errors import UserErrorException
from mlpipelines.records.paths import clean_relative_path

if TYPE_CHECKING:
    from mlpipelines.model.parameter import PipelineParameter

URL_SCHEMES = ("http", "https", "az", "abfs", "abfss", "s3", "gs", "gcs")


class DataType:
    """A column type for ``set_column_types`` (the old SDK's ``DataType.to_long()`` etc.)."""

    def __init__(self, name: str, formats: Sequence[str] = ()) -> None:
        self.name = name
        self.formats = list(formats)

    @staticmethod
    def to_string() -> DataType:
        return DataType("string")

    @staticmethod
    def to_long() -> DataType:
        return DataType("long")

    @staticmethod
    def to_float() -> DataType:
        return DataType("float")

    @staticmethod
    def to_bool() -> DataType:
        return DataType("bool")

    @staticmethod
    def to_datetime(formats: str | Sequence[str] | None = None) -> DataType:
        return DataType("datetime", [formats] if isinstance(formats, str) else formats or ())

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.name, "formats": list(self.formats)}

    def __repr__(self) -> str:
        return f"DataType({self.name!r})"


class DataPathComputeBinding:
    """How a step sees a DataPath parameter: ``mount`` or ``download`` (old
    ``azureml.data.datapath.DataPathComputeBinding``); ``(parameter, binding)`` goes in a
    step's inputs and arguments."""

    def __init__(
        self, mode: str = "mount", path_on_compute: str | None = None, overwrite: bool = False
    ) -> None:
        if mode not in ("mount", "download"):
            raise UserErrorException(
                f"DataPathComputeBinding mode must be mount or download, not {mode!r}"
            )
        self.mode = mode
        self.path_on_compute = path_on_compute
        self.overwrite = overwrite

    def __repr__(self) -> str:
        return f"DataPathComputeBinding(mode={self.mode!r})"


def data_path_input(item: Any) -> TypeGuard[tuple[PipelineParameter, DataPathComputeBinding]]:
    """Whether ``item`` is a ``(PipelineParameter with a DataPath default, binding)`` pair."""
    if not isinstance(item, tuple):  # most items: checked before the import below
        return False
    from mlpipelines.model.parameter import PipelineParameter, is_data_path

    return (
        len(item) == 2
        and isinstance(item[0], PipelineParameter)
        and is_data_path(item[0].default_value)
        and isinstance(item[1], DataPathComputeBinding)
    )


class DataPath:
    """A path on a datastore (the old SDK's ``azureml.data.datapath.DataPath``)."""

    def __init__(
        self, datastore: Any = None, path_on_datastore: str | None = None, name: str | None = None
    ) -> None:
        self.datastore = datastore
        self.path_on_datastore = path_on_datastore or ""
        self.name = name

    @property
    def datastore_name(self) -> str:
        return self.datastore if isinstance(self.datastore, str) else self.datastore.name

    def __repr__(self) -> str:
        return f"DataPath({self.datastore_name!r}, {self.path_on_datastore!r})"


def column_type(value: Any) -> dict[str, Any]:
    if isinstance(value, DataType):
        return value.to_dict()
    if isinstance(value, str):
        return DataType(value).to_dict()
    raise UserErrorException(f"set_column_types values must be DataType or str, not {value!r}")


def _source(item: Any) -> tuple[dict[str, Any], Any]:
    """One dataset source as a plain record (datastore by name) and the workspace it came with."""
    if hasattr(item, "data_reference_name"):
        # ``datastore.path('x')`` (a DataReference): the samples pass it to the factories.
        item = (item.datastore, item.path_on_datastore or "")
    if isinstance(item, DataPath):
        item = (item.datastore, item.path_on_datastore)
    if isinstance(item, tuple) and len(item) == 2:
        store, rel = item
        name = store if isinstance(store, str) else getattr(store, "name", None)
        if not isinstance(name, str):
            raise UserErrorException(f"dataset path {item!r}: first item must be a Datastore")
        path = clean_relative_path(rel, f"dataset path on datastore '{name}'")
        return {"datastore": name, "path": path}, getattr(store, "workspace", None)
    if isinstance(item, str):
        scheme = item.split("://", 1)[0].lower() if "://" in item else ""
        if scheme in URL_SCHEMES:
            _refuse_credentials(item)
            return {"url": item}, None
        raise UserErrorException(
            f"dataset path '{item}' names no datastore; pass (datastore, '{item}') or a URL "
            f"({', '.join(s + '://' for s in URL_SCHEMES)})"
        )
    raise UserErrorException(f"cannot use {item!r} as a dataset path")


def _refuse_credentials(url: str) -> None:
    """Dataset definitions travel in pipeline specs and logs, so a URL may not carry a secret."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url)
    secret = {"sig", "signature", "x-amz-signature", "x-amz-credential", "token"}
    if parts.password or secret & {k.lower() for k in parse_qs(parts.query)}:
        raise UserErrorException(
            "dataset URL carries a credential; register its storage as a datastore and pass "
            "(datastore, 'relative/path') instead"
        )


def parse_sources(path: Any) -> tuple[list[dict[str, Any]], Any]:
    items = path if isinstance(path, list) else [path]
    if not items:
        raise UserErrorException("a dataset needs at least one path")
    parsed = [_source(item) for item in items]
    workspace = next((ws for _, ws in parsed if ws is not None), None)
    return [record for record, _ in parsed], workspace
