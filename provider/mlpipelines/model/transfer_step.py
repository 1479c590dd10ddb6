"""DataTransferStep: copy a file or folder from one datastore to another (any two kinds)."""

from __future__ import annotations

from typing import Any, ClassVar

from mlpipelines.errors import UserErrorException
from mlpipelines.model.data import DataInput, DataReference, PipelineData, underlying
from mlpipelines.model.sql_data_reference import SqlDataReference
from mlpipelines.model.steps import Step
from mlpipelines.records import TransferDestination, TransferSettings
from mlpipelines.records.paths import clean_relative_path

REFERENCE_TYPES = (None, "file", "directory")


class DataTransferStep(Step):
    """Copies ``source_data_reference`` to ``destination_data_reference``.

    The source is a DataReference, an upstream step's PipelineData, or a SqlDataReference
    (its rows become one Parquet file, or CSV when the destination's path ends in ``.csv``;
    a database cannot be fingerprinted, so such a step is never reused); the destination is a
    DataReference (a fixed place on a datastore) or a PipelineData (a fresh place per run,
    handed to later steps). ``source_reference_type`` / ``destination_reference_type``
    ("file" or "directory") say what the data is when the path alone does not.
    """

    kind: ClassVar[str] = "data_transfer"

    def __init__(
        self,
        name: str,
        source_data_reference: Any = None,
        destination_data_reference: Any = None,
        compute_target: Any = None,
        source_reference_type: str | None = None,
        destination_reference_type: str | None = None,
        allow_reuse: bool = True,
    ) -> None:
        for what, value in (
            ("source_reference_type", source_reference_type),
            ("destination_reference_type", destination_reference_type),
        ):
            if value not in REFERENCE_TYPES:
                raise UserErrorException(
                    f"step '{name}': {what} must be 'file' or 'directory', not {value!r}"
                )
        sql = isinstance(source_data_reference, SqlDataReference)
        if not sql and not isinstance(
            source_data_reference, (DataReference, PipelineData, DataInput)
        ):
            raise UserErrorException(
                f"step '{name}': source_data_reference must be a DataReference, PipelineData "
                f"or SqlDataReference, not {source_data_reference!r}"
            )
        if not isinstance(destination_data_reference, (DataReference, PipelineData)):
            raise UserErrorException(
                f"step '{name}': destination_data_reference must be a DataReference or "
                f"PipelineData, not {destination_data_reference!r}"
            )
        if underlying(source_data_reference) is destination_data_reference:
            raise UserErrorException(f"step '{name}': source and destination are the same data")
        outputs = (
            [destination_data_reference]
            if isinstance(destination_data_reference, PipelineData)
            else []
        )
        super().__init__(
            name,
            inputs=[] if sql else [source_data_reference],
            outputs=outputs,
            compute_target=compute_target,
            allow_reuse=allow_reuse and not sql,
        )
        self.source_data_reference = source_data_reference
        self.destination_data_reference = destination_data_reference
        self.source_reference_type = source_reference_type
        self.destination_reference_type = destination_reference_type

    def definition_extras(self) -> dict[str, Any]:
        destination = self.destination_data_reference
        fixed = None
        if isinstance(destination, DataReference):
            fixed = TransferDestination(
                destination.datastore.spec, clean_relative_path(destination.path_on_datastore)
            )
        source = self.source_data_reference
        transfer = TransferSettings(
            source=source.name,
            source_type=self.source_reference_type,
            destination_type=self.destination_reference_type,
            destination=fixed,
            output=None if fixed is not None else destination.name,
            sql=source.source() if isinstance(source, SqlDataReference) else None,
        )
        return {"transfer": transfer}
