"""Pipeline parameters: values chosen per run (Airflow Params once translated)."""

from __future__ import annotations

from typing import Any

PARAM_TYPES: dict[type, str] = {bool: "boolean", int: "integer", float: "number", str: "string"}


class PipelineParameter:
    """A named value a run may set; its type comes from the default."""

    def __init__(self, name: str, default_value: Any) -> None:
        self.name = name
        self.default_value = default_value

    @property
    def param_type(self) -> str | None:
        """The JSON-schema type of the default, or None where it has no supported type."""
        return PARAM_TYPES.get(type(self.default_value))

    def __repr__(self) -> str:
        return f"PipelineParameter(name={self.name!r}, default_value={self.default_value!r})"
