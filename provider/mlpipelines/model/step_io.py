"""Data named only in a step's arguments joins its inputs or outputs, as Azure ML's
``PipelineStep._process_pipeline_io`` does; items match by name, not object identity."""

from __future__ import annotations

from typing import Any

from mlpipelines.model.data import DataInput, DataReference, PipelineData, underlying
from mlpipelines.model.dataset import DatasetConsumptionConfig
from mlpipelines.model.dataset_sources import data_path_input
from mlpipelines.model.output_dataset import OutputFileDatasetConfig, OutputTabularDatasetConfig


def with_argument_data(
    arguments: list[Any], inputs: list[Any], outputs: list[Any]
) -> tuple[list[Any], list[Any]]:
    """``inputs`` and ``outputs`` plus each data item of ``arguments`` neither names.

    An OutputFileDatasetConfig (or its ``read_*_files()`` form) becomes an output unless a
    step made before this one already produces it, then an input; any other data (a
    PipelineData, DataReference, DataPath binding, dataset consumption, ``as_input()``) is
    an input: a PipelineData is produced only by a step that lists it in ``outputs``.
    """
    inputs, outputs = list(inputs), list(outputs)
    data = [v for v in arguments if not isinstance(v, str) and is_argument_data(v)]
    if not data:
        return inputs, outputs
    # The common case, every data argument also listed, costs one identity check each (this
    # runs for every step at every parse of a DAG file).
    listed = {id(underlying(item)) for item in (*inputs, *outputs)}
    if all(id(underlying(v)) in listed for v in data):
        return inputs, outputs
    declared = _Declared(inputs, outputs)
    for value in data:
        if declared.names(value):
            continue
        if _produces(value):
            outputs.append(underlying(value))
        else:
            inputs.append(value)
        declared.add(value)
    return inputs, outputs


class _Declared:
    """A step's data so far, by object and by name."""

    def __init__(self, inputs: list[Any], outputs: list[Any]) -> None:
        self.ids: set[int] = set()
        self.input_names: set[Any] = set()
        self.data_names: set[Any] = set()
        self.references: set[tuple[Any, ...]] = set()
        for item in inputs:
            self.add(item)
        for item in outputs:
            self.add(item, as_input=False)

    def names(self, value: Any) -> bool:
        """Whether ``value`` is data the step already has: the same object, an input of the
        same name, or (data itself, not one reading of it) data of the same name. A
        DataReference matches by name only where it names the same place too."""
        if id(underlying(value)) in self.ids:
            return True
        if isinstance(value, DataReference):
            return _place(value) in self.references
        # An unnamed output (named later by its producer) matches by identity only.
        name = input_name(value)
        if name and name in self.input_names:
            return True
        data_name = value_data_name(value)
        return not isinstance(value, DataInput) and bool(data_name) and data_name in self.data_names

    def add(self, value: Any, as_input: bool = True) -> None:
        self.ids.add(id(underlying(value)))
        if as_input:
            self.input_names.add(input_name(value))
        self.data_names.add(value_data_name(value))
        if isinstance(value, DataReference):
            self.references.add(_place(value))


def _place(reference: DataReference) -> tuple[Any, ...]:
    store = reference.datastore
    return (reference.name, getattr(store, "name", store), reference.path_on_datastore)


def is_argument_data(value: Any) -> bool:
    """Whether an argument is data (rather than a literal or a parameter)."""
    return isinstance(
        value, (PipelineData, DataInput, DataReference, DatasetConsumptionConfig)
    ) or data_path_input(value)


def _produces(value: Any) -> bool:
    data = underlying(value)
    if not isinstance(data, OutputFileDatasetConfig) or data._producers:
        return False
    return not isinstance(value, DataInput) or type(value) is OutputTabularDatasetConfig


def input_name(item: Any) -> str | None:
    """The name a step's input is known by (a DataPath pair: its parameter's)."""
    if data_path_input(item):
        return str(item[0].name)
    return getattr(item, "name", None)


def value_data_name(value: Any) -> str | None:
    """The name of the data behind an argument (a PipelineData's own, not its input name)."""
    if data_path_input(value):
        return str(value[0].name)
    return getattr(underlying(value), "name", None)


def link_producers_by_name(steps: list[Any]) -> None:
    """A PipelineData a step reads that no step of ``steps`` produces by object is produced
    by the step whose output has its name (a notebook may build ``PipelineData("x")`` again
    in a later cell); without such a step it stays unproduced, for validation to report."""
    members = {id(s) for s in steps}
    by_name: dict[str, Any] = {}
    for step in steps:
        for output in getattr(step, "outputs", []):
            if isinstance(output, PipelineData):
                by_name.setdefault(output.name, step)
    for step in steps:
        for item in getattr(step, "inputs", []):
            data = underlying(item)
            if not isinstance(data, PipelineData):
                continue
            if any(id(p) in members for p in data._producers):
                continue
            producer = by_name.get(data.name)
            if producer is not None and producer is not step:
                data._producers.append(producer)
