"""A local stand-in for a Databricks SQL warehouse behind the Statement Execution API 2.0
(``POST /api/2.0/sql/statements``, ``GET .../{id}``, ``POST .../{id}/cancel``), as the
provider's ``DatabricksHook`` calls it. Served by the Jobs API stand-in's HTTP server.

Statements run on a real DuckDB database per warehouse, which keeps its schemas between
statements as a warehouse does. The stand-in reads the Databricks SQL the step runtime
emits and maps it to DuckDB: backtick identifiers, ``:name`` parameter markers bound from
the typed ``parameters``, ``read_files(uri, format => ...)`` over ``file://`` URIs, and
``INSERT OVERWRITE DIRECTORY uri USING PARQUET`` (a part file plus ``_SUCCESS``, as Spark
writes). A statement holding ``/* stand-in: runs until cancelled */`` never ends by itself.
"""

from __future__ import annotations

import itertools
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import duckdb
from sqlparse import lexer
from sqlparse import tokens as T

NEVER_ENDS = "/* stand-in: runs until cancelled */"

_READ_FILES = re.compile(
    r"read_files\(\s*'([^']*)'\s*,\s*format\s*=>\s*'(\w+)'(?:\s*,\s*header\s*=>\s*true)?\s*\)",
    re.I,
)
_INSERT_DIRECTORY = re.compile(
    r"^\s*INSERT\s+OVERWRITE\s+DIRECTORY\s+'([^']*)'\s+USING\s+PARQUET\s+(.*)$", re.I | re.S
)
_DUCKDB_LINE = re.compile(r"LINE (\d+):")
_TYPES = {"BIGINT": int, "INT": int, "DOUBLE": float, "BOOLEAN": lambda v: v == "true"}


@dataclass
class FakeStatement:
    statement_id: str
    body: dict[str, Any]
    state: str = "PENDING"
    final: str = "SUCCEEDED"
    error: dict[str, str] | None = None
    gets: int = 0
    rows: int | None = None

    def status(self) -> dict[str, Any]:
        if self.state in ("PENDING", "RUNNING") and self.final != "RUNNING":
            self.gets += 1
            self.state = "RUNNING" if self.gets == 1 else self.final
        status: dict[str, Any] = {"state": self.state}
        if self.error and self.state == "FAILED":
            status["error"] = self.error
        return status


@dataclass
class WarehouseStandIn:
    """Warehouses by id, each a DuckDB database; every statement body is recorded."""

    warehouse_ids: tuple[str, ...] = ("wh-test",)
    statements: dict[str, FakeStatement] = field(default_factory=dict)
    _databases: dict[str, duckdb.DuckDBPyConnection] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def reset(self) -> None:
        self.statements.clear()
        for con in self._databases.values():
            con.close()
        self._databases.clear()

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [s.body for s in self.statements.values()]

    def schemas(self, warehouse_id: str) -> list[str]:
        """Schemas left on the warehouse besides DuckDB's own."""
        con = self._databases.get(warehouse_id)
        if con is None:
            return []
        rows = con.execute(
            "SELECT schema_name FROM information_schema.schemata WHERE catalog_name = 'memory'"
        ).fetchall()
        return sorted(
            r[0] for r in rows if r[0] not in ("main", "information_schema", "pg_catalog")
        )

    def handle(self, method: str, endpoint: str, body: dict[str, Any]) -> tuple[int, Any]:
        parts = endpoint.split("/")  # sql/statements[/id[/cancel]]
        if method == "POST" and len(parts) == 2:
            return self._submit(body)
        statement = self.statements.get(parts[2]) if len(parts) > 2 else None
        if statement is None:
            return 404, {"error_code": "NOT_FOUND", "message": f"no statement {endpoint}"}
        if method == "GET" and len(parts) == 3:
            return 200, {"statement_id": statement.statement_id, "status": statement.status()}
        if method == "POST" and parts[3:] == ["cancel"]:
            if statement.state in ("PENDING", "RUNNING"):
                statement.state = statement.final = "CANCELED"
            return 200, {}
        return 404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"no {method} {endpoint}"}

    def _submit(self, body: dict[str, Any]) -> tuple[int, Any]:
        warehouse = body.get("warehouse_id")
        if warehouse not in self.warehouse_ids:
            return 404, {
                "error_code": "RESOURCE_DOES_NOT_EXIST",
                "message": f"SQL warehouse {warehouse} does not exist.",
            }
        statement = FakeStatement(f"01ef-{next(self._ids):06d}", body)
        self.statements[statement.statement_id] = statement
        if NEVER_ENDS in body.get("statement", ""):
            statement.final = "RUNNING"
        else:
            self._run(statement)
        return 200, {"statement_id": statement.statement_id, "status": {"state": "PENDING"}}

    def _run(self, statement: FakeStatement) -> None:
        body = statement.body
        con = self._databases.setdefault(body["warehouse_id"], duckdb.connect(":memory:"))
        try:
            self._use(con, body)
            sql, values = _to_duckdb(body["statement"], body.get("parameters") or [])
            target = _INSERT_DIRECTORY.match(sql)
            if target:
                statement.rows = _write_directory(
                    con, _local(target.group(1)), target.group(2), values
                )
            else:
                con.execute(sql, values)
        except (duckdb.Error, KeyError, ValueError) as exc:
            statement.final = "FAILED"
            statement.error = {"error_code": "BAD_REQUEST", "message": _databricks_message(exc)}

    @staticmethod
    def _use(con: duckdb.DuckDBPyConnection, body: dict[str, Any]) -> None:
        schema = body.get("schema")
        if body.get("catalog") not in (None, "main"):
            raise ValueError(f"[NO_SUCH_CATALOG_EXCEPTION] Catalog '{body['catalog']}' not found.")
        if schema is None:
            con.execute("USE memory.main")
            return
        found = con.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?", [schema]
        ).fetchone()
        if not found or not found[0]:
            raise ValueError(f"[SCHEMA_NOT_FOUND] The schema `{schema}` cannot be found.")
        con.execute(f'USE memory."{schema}"')


def _to_duckdb(statement: str, parameters: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """Databricks SQL to DuckDB: backticks become double quotes, ``:name`` becomes
    ``$name`` bound from the typed parameters, ``read_files`` becomes a DuckDB reader."""
    given = {p["name"]: p for p in parameters}
    out: list[str] = []
    used: dict[str, Any] = {}
    for ttype, value in lexer.tokenize(statement):
        if ttype in T.Name and value.startswith("`"):
            value = '"' + value[1:-1].replace("``", "`").replace('"', '""') + '"'
        elif ttype is T.Name.Placeholder and value.startswith(":"):
            name = value[1:]
            if name not in given:
                raise ValueError(f"[UNBOUND_SQL_PARAMETER] Found the unbound parameter: {name}.")
            parameter = given[name]
            raw = parameter.get("value")
            used[name] = None if raw is None else _TYPES.get(parameter["type"], str)(raw)
            value = f"${name}"
        out.append(value)
    if len(used) != len(given):
        unused = sorted(set(given) - set(used))
        raise ValueError(f"[UNUSED_PARAMETER] parameters given but not used: {unused}")
    return _READ_FILES.sub(_reader, "".join(out)), used


def _reader(match: re.Match[str]) -> str:
    path, kind = _local(match.group(1)), match.group(2).lower()
    if path.is_dir():
        pattern = str(path / "**" / f"*.{'parquet' if kind == 'parquet' else 'csv'}")
    else:
        pattern = str(path)
    if kind == "parquet":
        return f"read_parquet('{pattern}', union_by_name = true)"
    return f"read_csv('{pattern}', header = true, union_by_name = true)"


def _local(uri: str) -> Path:
    parts = urlsplit(uri)
    if parts.scheme != "file":
        raise ValueError(f"[UNSUPPORTED] the stand-in reads file:// URIs only, got {uri}")
    return Path(unquote(parts.path))


def _write_directory(
    con: duckdb.DuckDBPyConnection, folder: Path, query: str, values: dict[str, Any]
) -> int:
    relation = con.sql(query, params=values or None)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    relation.write_parquet(str(folder / "part-00000.parquet"))
    (folder / "_SUCCESS").write_bytes(b"")
    counted = con.execute("SELECT count(*) FROM read_parquet(?)", [str(folder / "*.parquet")])
    return int(counted.fetchone()[0])


def _databricks_message(exc: Exception) -> str:
    """DuckDB's message in Databricks' shape: ``line N`` of the statement at its end."""
    message = str(exc)
    found = _DUCKDB_LINE.search(message)
    line = f"; line {found.group(1)} pos 0" if found else ""
    message = _DUCKDB_LINE.sub("", message).strip()
    return message if message.startswith("[") else f"[SQL_ERROR] {message}{line}"
