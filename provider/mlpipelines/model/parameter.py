"""Pipeline parameters: values chosen per run (Airflow Params once translated)."""

from __future__ import annotations

from typing import Any

PARAM_TYPES: dict[type, str] = {bool: "boolean", int: "integer", float: "number", str: "string"}


class PipelineParameter:
    """A named value a run may set; its type comes from the default. ``description`` is the
    help Airflow's trigger form shows beside the field (not in the Azure ML SDK)."""

    def __init__(self, name: str, default_value: Any, description: str | None = None) -> None:
        self.name = name
        self.default_value = default_value
        self.description = description

    @property
    def param_type(self) -> str | None:
        """The JSON-schema type of the default, or None where it has no supported type
        (a DataPath default makes an ``object``: ``{"datastore": name, "path": path}``)."""
        if is_data_path(self.default_value) or is_dataset(self.default_value):
            return "object"
        return PARAM_TYPES.get(type(self.default_value))

    @property
    def json_default(self) -> Any:
        """The default as the Airflow Param holds it."""
        if is_data_path(self.default_value):
            return data_path_value(self.default_value)
        if is_dataset(self.default_value):
            return {"dataset": self.default_value.to_dict()}
        return self.default_value

    def __repr__(self) -> str:
        return f"PipelineParameter(name={self.name!r}, default_value={self.default_value!r})"


def is_data_path(value: Any) -> bool:
    """Whether ``value`` is a DataPath (checked by shape: the model keeps no import cycle)."""
    return type(value).__name__ == "DataPath" and hasattr(value, "path_on_datastore")


def is_dataset(value: Any) -> bool:
    """Whether ``value`` is a Tabular or File dataset (checked by shape, as ``is_data_path``)."""
    return getattr(value, "kind", None) in ("tabular", "file") and hasattr(value, "definition")


def data_path_value(value: Any) -> dict[str, str]:
    """A DataPath as a run's parameter value."""
    from mlpipelines.records.paths import clean_relative_path

    return {
        "datastore": value.datastore_name,
        "path": clean_relative_path(value.path_on_datastore),
    }
