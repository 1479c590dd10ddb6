"""Rows of a SQL datastore written as one Parquet or CSV file, through the Airflow provider's
hook of its connection; a DBAPI cursor read in batches into pyarrow (no values in the SQL)."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Any

from mlpipelines.datastore_kinds import SqlDatabaseKind, kind_of_conn_type
from mlpipelines.errors import StepRunError, UserErrorException
from mlpipelines.records import SqlSource

BATCH_ROWS = 50_000
FORMATS = ("parquet", "csv")


def file_format(path: str) -> str:
    """``csv`` for a path ending in ``.csv``, else ``parquet`` (Azure ML's default)."""
    return "csv" if path.lower().endswith(".csv") else "parquet"


def sql_kind(name: str, conn: Any) -> type[SqlDatabaseKind]:
    """The SQL kind of datastore ``name``'s connection; a clear error for a file datastore."""
    kind = kind_of_conn_type(conn.conn_type or "")
    if not issubclass(kind, SqlDatabaseKind):
        raise UserErrorException(
            f"datastore '{name}' is a {kind.datastore_type} datastore, not a SQL database: a "
            "SqlDataReference needs one registered with register_azure_postgre_sql, "
            "register_azure_my_sql or register_azure_sql_database"
        )
    return kind


def statement(kind: type[SqlDatabaseKind], source: SqlSource) -> str:
    """The SQL that returns the source's rows (names checked and quoted, never values)."""
    if source.query:
        return source.query
    if source.table:
        return f"SELECT * FROM {kind.quote_table(source.table)}"
    if source.procedure:
        return kind.procedure_query(source.procedure)
    raise UserErrorException(f"datastore '{source.datastore.name}': the SQL source names no rows")


def export_rows(source: SqlSource, target: Path, fmt: str) -> int:
    """Write the source's rows to the local file ``target``; how many rows it wrote."""
    from airflow.sdk import BaseHook

    name = source.datastore.name
    conn = BaseHook.get_connection(name)
    kind = sql_kind(name, conn)
    try:
        hook = conn.get_hook()
    except Exception as exc:
        raise UserErrorException(
            f"datastore '{name}': no hook for its {kind.conn_type} connection ({type(exc).__name__}"
            f"); install {kind.provider}"
        ) from None
    sql = statement(kind, source)
    try:
        with closing(hook.get_conn()) as db, closing(db.cursor()) as cursor:
            cursor.execute(sql)
            if cursor.description is None:
                raise UserErrorException(f"datastore '{name}': the SQL source returned no rows")
            names = [str(d[0]) for d in cursor.description]
            return _write_batches(cursor, names, target, fmt)
    except UserErrorException:
        raise
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}".strip()
        if conn.password:
            detail = detail.replace(conn.password, "***")
        raise StepRunError(
            f"datastore '{name}' ({kind.datastore_type}) could not return the rows: {detail}"
        ) from None


def _write_batches(cursor: Any, names: list[str], target: Path, fmt: str) -> int:
    """Stream the cursor into the file, batch by batch, with the first batch's schema."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    writer: Any = None
    schema: Any = None
    count = 0
    try:
        while True:
            rows = cursor.fetchmany(BATCH_ROWS)
            if not rows and writer is not None:
                break
            columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
            table = pa.Table.from_arrays([pa.array(list(c)) for c in columns], names=names)
            if writer is None:
                schema = table.schema
                writer = (
                    pq.ParquetWriter(str(target), schema)
                    if fmt == "parquet"
                    else pa_csv.CSVWriter(str(target), schema)
                )
            writer.write_table(table.cast(schema))
            count += len(rows)
            if not rows:
                break
    finally:
        if writer is not None:
            writer.close()
    return count
