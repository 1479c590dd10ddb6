"""Reading a tabular dataset: one pyarrow dataset scan over all its files, then its steps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlpipelines.datasets.row_selection import is_everything, leading_window, row_steps, select
from mlpipelines.datasets.sources import (
    DefinedDataset,
    ResolvedFile,
    describe_source,
    resolve_files,
)
from mlpipelines.errors import UserErrorException

if TYPE_CHECKING:
    import pyarrow as pa

PATH_COLUMN = "Path"


def read_table(dataset: DefinedDataset) -> pa.Table:
    """The rows of a tabular dataset, its steps applied, as a pyarrow Table."""
    return read_definition(dataset.definition(), dataset.workspace)


def read_definition(definition: dict[str, Any], workspace: Any = None) -> pa.Table:
    """The rows a tabular dataset definition describes (datastores opened through ``workspace``)."""
    import pyarrow as pa

    if definition.get("kind") != "tabular":
        raise UserErrorException("only a tabular dataset can be read into a table")
    reader = definition.get("reader") or {}
    where = ", ".join(describe_source(s) for s in definition["sources"])
    files = resolve_files(definition, workspace)
    try:
        scan = _scan_target(files, reader)
        include_path = bool(reader.get("include_path"))
        names = ([PATH_COLUMN] if include_path else []) + scan.schema.names
        unknown = [c for c in reader.get("set_column_types") or {} if c not in names]
        if unknown:
            raise UserErrorException(
                f"set_column_types: no column {', '.join(map(repr, unknown))} in the dataset "
                f"from {where} (columns: {', '.join(names)})"
            )
        columns = _column_plan(names, definition.get("steps", []), where)
        offset, limit, rest = leading_window(row_steps(definition.get("steps", [])))
        stop = None if limit is None else offset + limit
        if include_path and PATH_COLUMN in columns:
            table = _scan_with_paths(scan, columns, stop, {f.path: f.label for f in files})
        elif stop is None:
            table = scan.to_table(columns=columns)
        else:
            table = scan.head(stop, columns=columns)
        table = table.slice(offset)
    except pa.ArrowException as exc:
        raise UserErrorException(f"cannot read tabular dataset from {where}: {exc}") from exc
    kept = select(table.num_rows, rest)
    if not is_everything(kept, table.num_rows):
        table = table.take(pa.array(kept))
    return _cast(table, reader.get("set_column_types") or {}, reader, where)


def _scan_with_paths(
    scan: Any, columns: list[str], stop: int | None, labels: dict[str, str]
) -> pa.Table:
    """The scan with a ``Path`` column naming each row's file (stopping after ``stop`` rows)."""
    import pyarrow as pa

    data_columns = [c for c in columns if c != PATH_COLUMN]
    scanner = scan.scanner(columns=data_columns)
    batches, rows = [], 0
    for tagged in scanner.scan_batches():
        batch = tagged.record_batch
        path = labels.get(tagged.fragment.path, tagged.fragment.path)
        arrays = {c: batch.column(c) for c in data_columns}
        arrays[PATH_COLUMN] = pa.repeat(pa.scalar(path, pa.string()), batch.num_rows)
        batches.append(pa.record_batch([arrays[c] for c in columns], names=columns))
        rows += batch.num_rows
        if stop is not None and rows >= stop:
            break
    if not batches:
        empty = scanner.projected_schema.insert(0, pa.field(PATH_COLUMN, pa.string()))
        return pa.Table.from_batches([], schema=pa.schema([empty.field(c) for c in columns]))
    table = pa.Table.from_batches(batches)
    return table if stop is None else table.slice(0, stop)


def _arrow_fs(fs: Any) -> Any:
    """pyarrow's own filesystem for local files: faster, and a Python-implemented filesystem
    called from pyarrow's threads can abort the interpreter at exit ("terminate called
    without an active exception"). Remote stores go through fsspec."""
    from fsspec.implementations.local import LocalFileSystem
    from pyarrow.fs import FSSpecHandler, PyFileSystem
    from pyarrow.fs import LocalFileSystem as ArrowLocalFileSystem

    if isinstance(fs, LocalFileSystem):
        return ArrowLocalFileSystem()
    return PyFileSystem(FSSpecHandler(fs))


def _scan_target(files: list[ResolvedFile], reader: dict[str, Any]) -> Any:
    """One pyarrow dataset over every file (a union when they live on several filesystems)."""
    import pyarrow.dataset as ds

    groups: dict[str, list[ResolvedFile]] = {}
    for file in files:
        groups.setdefault(file.group, []).append(file)
    first = files[0]
    fmt = _file_format(reader, _arrow_fs(first.fs), first.path)
    parts = [
        ds.dataset([f.path for f in group], format=fmt, filesystem=_arrow_fs(group[0].fs))
        for group in groups.values()
    ]
    return parts[0] if len(parts) == 1 else ds.dataset(parts)


def _file_format(reader: dict[str, Any], filesystem: Any, first_path: str) -> Any:
    """The pyarrow file format for the reader options; CSV names and types settled up front."""
    import pyarrow.csv as csv
    import pyarrow.dataset as ds

    if reader.get("format") == "parquet":
        return ds.ParquetFileFormat()
    header = reader.get("header", True)
    parse = csv.ParseOptions(
        delimiter=reader.get("separator", ","),
        newlines_in_values=bool(reader.get("support_multi_line")),
    )
    read = csv.ReadOptions(
        encoding=_encoding(reader.get("encoding", "utf8")), autogenerate_column_names=not header
    )
    convert = csv.ConvertOptions(strings_can_be_null=not reader.get("empty_as_string"))
    types = reader.get("set_column_types") or {}
    if header and reader.get("infer_column_types", True) and not types:
        return ds.CsvFileFormat(parse_options=parse, read_options=read, convert_options=convert)
    names = ds.CsvFileFormat(parse_options=parse, read_options=read).inspect(
        first_path, filesystem=filesystem
    )
    names = names.names if header else [f"Column{i + 1}" for i in range(len(names.names))]
    if not header:
        read = csv.ReadOptions(encoding=read.encoding, column_names=names)
    column_types = {}
    if not reader.get("infer_column_types", True):
        column_types = {n: _arrow_type({"type": "string"}) for n in names}
    formats: list[str] = []
    for name, spec in types.items():
        if name not in names:
            raise UserErrorException(
                f"set_column_types: no column '{name}' in {first_path} "
                f"(columns: {', '.join(names)})"
            )
        column_types[name] = _arrow_type(spec)
        formats += spec.get("formats") or []
    convert = csv.ConvertOptions(
        strings_can_be_null=not reader.get("empty_as_string"),
        column_types=column_types,
        timestamp_parsers=formats or None,
    )
    return ds.CsvFileFormat(parse_options=parse, read_options=read, convert_options=convert)


def _encoding(name: str) -> str:
    return {"utf8": "utf8", "iso88591": "latin-1", "latin1": "latin-1"}.get(name, name)


def _arrow_type(spec: dict[str, Any]) -> Any:
    import pyarrow as pa

    mapping = {
        "string": pa.string(),
        "long": pa.int64(),
        "int": pa.int64(),
        "float": pa.float64(),
        "double": pa.float64(),
        "bool": pa.bool_(),
        "boolean": pa.bool_(),
        "datetime": pa.timestamp("us"),
    }
    try:
        return mapping[spec["type"]]
    except KeyError:
        raise UserErrorException(
            f"unknown column type '{spec['type']}' (known: {', '.join(mapping)})"
        ) from None


def _column_plan(names: list[str], steps: list[dict[str, Any]], where: str) -> list[str]:
    """The columns left after keep/drop steps; a name the data lacks is an error naming it."""
    current = list(names)
    for step in steps:
        if step["op"] not in ("keep_columns", "drop_columns"):
            continue
        missing = [c for c in step["columns"] if c not in current]
        if missing:
            raise UserErrorException(
                f"{step['op']}: no column {', '.join(repr(c) for c in missing)} in the dataset "
                f"from {where} (columns: {', '.join(current)})"
            )
        wanted = set(step["columns"])
        keep = step["op"] == "keep_columns"
        current = [c for c in current if (c in wanted) == keep]
    return current


def _cast(table: pa.Table, types: dict[str, Any], reader: dict[str, Any], where: str) -> pa.Table:
    """Apply ``set_column_types`` to Parquet columns (CSV columns were parsed as those types)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if reader.get("format") != "parquet" or not types:
        return table
    for name, spec in types.items():
        if name not in table.column_names:
            continue
        target = _arrow_type(spec)
        column = table[name]
        try:
            if (
                spec["type"] == "datetime"
                and pa.types.is_string(column.type)
                and spec.get("formats")
            ):
                converted = pc.strptime(column, format=spec["formats"][0], unit="us")
            else:
                converted = column.cast(target)
        except pa.ArrowException as exc:
            raise UserErrorException(f"column '{name}' of {where}: {exc}") from exc
        table = table.set_column(table.schema.get_field_index(name), name, converted)
    return table
