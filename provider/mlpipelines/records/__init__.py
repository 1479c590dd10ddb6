"""Typed records every layer shares: a step's definition, its inputs, outputs, argument tokens
and the XCom reference of an output. Pure data; imports nothing of ours but the error types.

The step's records are values: planned once, never changed afterwards (``with_changes`` and
``dataclasses.replace`` make a changed copy). They are plain dataclasses rather than frozen
ones because a frozen dataclass costs ~5 us more a step at every DAG parse.
"""

from mlpipelines.records.datastore import CONNECTION_KIND, LOCAL_KIND, DatastoreSpec
from mlpipelines.records.engines import (
    ComputeSettings,
    DatabricksSettings,
    DatabricksTask,
    SqlSource,
    TransferDestination,
    TransferSettings,
)
from mlpipelines.records.inputs import (
    DataPathInput,
    DataReferenceInput,
    DatasetInput,
    PipelineDataInput,
    StepInput,
    input_from_json,
)
from mlpipelines.records.outputs import (
    DataReferenceOutput,
    OutputReference,
    PipelineDataOutput,
    StepOutput,
    output_from_json,
)
from mlpipelines.records.step import SourceRef, StepDefinition
from mlpipelines.records.tokens import ArgumentToken

__all__ = [
    "CONNECTION_KIND",
    "LOCAL_KIND",
    "ArgumentToken",
    "ComputeSettings",
    "DataPathInput",
    "DataReferenceInput",
    "DataReferenceOutput",
    "DatabricksSettings",
    "DatabricksTask",
    "DatasetInput",
    "DatastoreSpec",
    "OutputReference",
    "PipelineDataInput",
    "PipelineDataOutput",
    "SourceRef",
    "SqlSource",
    "StepDefinition",
    "StepInput",
    "StepOutput",
    "TransferDestination",
    "TransferSettings",
    "input_from_json",
    "output_from_json",
]
