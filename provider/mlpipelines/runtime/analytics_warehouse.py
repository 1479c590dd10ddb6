"""Run one analytics (SQL) step on a Databricks SQL warehouse, through the provider's
``DatabricksHook`` calls of the Statement Execution API (``post_sql_statement``,
``get_sql_statement_state``, ``cancel_sql_statement``).

That API keeps no session between statements, so the step gets a schema of its own for the
run: each input is a view there over its files (``read_files``), the script's statements run
one by one with that schema as the default (so the views and tables it creates land there;
a TEMP view becomes a plain view there, and a view whose query reads parameters becomes a
table made from it, as Databricks SQL allows no parameter marker in a view),
each output is written as Parquet straight to its place (``INSERT OVERWRITE DIRECTORY``),
and the schema is dropped at the end, whatever happened. Parameters are named parameter
markers bound per statement, never pasted into SQL.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlpipelines.errors import StepRunError
from mlpipelines.records import StepDefinition
from mlpipelines.reuse.decision import ReuseCheck
from mlpipelines.runtime.analytics import (
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    read_script,
    refuse_outputs_named_like_inputs,
    refuse_usql,
    sql_param_value,
)
from mlpipelines.runtime.artifacts import save_summary
from mlpipelines.runtime.databricks import output_uri, spark_uri
from mlpipelines.runtime.outputs import discard_outputs
from mlpipelines.runtime.sql_statements import (
    Statement,
    StatementError,
    for_sessionless_engine,
    split_statements,
)
from mlpipelines.runtime.staging import PendingOutput, prepare_outputs
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.runtime.step_run import StepResult, publish_outputs, run_with_reuse
from mlpipelines.storage.data_locations import LocatedInput

if TYPE_CHECKING:
    from airflow.providers.databricks.hooks.databricks import DatabricksHook

DIALECT = "Databricks SQL"
MAX_POLL_SECONDS = 1.0
OnStatement = Callable[[str | None], None]


def run_warehouse_analytics_step(
    definition: StepDefinition,
    ctx: StepContext,
    hook: DatabricksHook,
    on_statement: OnStatement | None = None,
    max_poll_seconds: float = MAX_POLL_SECONDS,
) -> StepResult:
    """Reuse the step's earlier result if its key has one; else run its SQL once on the
    warehouse. ``on_statement`` hears the id of each statement while it runs (None after),
    so a kill can cancel it. Raises StepHeld, or StepRunError naming the script's line."""
    warehouse = _Warehouse(definition, ctx, hook, on_statement, max_poll_seconds)
    return run_with_reuse(
        definition, ctx, lambda check, located: warehouse.run_once(check, located)
    )


def _quoted(identifier: str) -> str:
    return "`" + identifier.replace("`", "``") + "`"


def _literal(definition: StepDefinition, what: str, uri: str) -> str:
    """A URI as a SQL string literal. Parameter markers are not allowed in view
    definitions, so the URI is written in; one holding a quote or a backslash is refused
    rather than escaped."""
    if "'" in uri or "\\" in uri:
        raise StepRunError(
            f"step '{definition.name}': {what} {uri!r} holds a quote or a backslash, "
            "which a Databricks SQL warehouse step does not pass; rename the path"
        )
    return f"'{uri}'"


def _parameter(name: str, value: Any) -> dict[str, Any]:
    """A named parameter of the Statement Execution API: the value as text, typed."""
    if value is None:
        return {"name": name, "type": "STRING"}
    if isinstance(value, bool):
        return {"name": name, "value": "true" if value else "false", "type": "BOOLEAN"}
    if isinstance(value, int):
        return {"name": name, "value": str(value), "type": "BIGINT"}
    if isinstance(value, float):
        return {"name": name, "value": repr(value), "type": "DOUBLE"}
    return {"name": name, "value": str(value), "type": "STRING"}


class _Warehouse:
    """One step's statements on the warehouse, in the run's own schema."""

    def __init__(
        self,
        definition: StepDefinition,
        ctx: StepContext,
        hook: DatabricksHook,
        on_statement: OnStatement | None,
        max_poll_seconds: float,
    ) -> None:
        self.definition = definition
        self.ctx = ctx
        self.hook = hook
        self.on_statement = on_statement
        self.max_poll_seconds = max_poll_seconds
        assert definition.compute is not None, "a warehouse step has its target's settings"
        self.compute = definition.compute
        seed = f"{ctx.dag_id}\0{ctx.run_id}\0{ctx.task_id}\0{ctx.try_number}"
        self.schema = "mlpipelines_" + hashlib.sha256(seed.encode()).hexdigest()[:20]
        catalog = self.compute.catalog
        self.qualified_schema = (
            f"{_quoted(catalog)}.{_quoted(self.schema)}" if catalog else _quoted(self.schema)
        )
        self.summary: list[str] = []

    # -- the step -------------------------------------------------------------------------
    def run_once(self, check: ReuseCheck, located: dict[str, LocatedInput]) -> StepResult:
        definition = self.definition
        self.summary = [
            f"step {definition.name}: {definition.script_name} on Databricks SQL "
            f"warehouse {self.compute.warehouse_id} (connection '{self.compute.conn_id}')"
        ]
        pending: list[PendingOutput] = []
        try:
            sql = read_script(definition, check)
            refuse_usql(definition, sql, DIALECT)
            statements = self._statements(sql)
            values = {
                key: sql_param_value(key, token, self.ctx.params)
                for key, token in definition.params.items()
            }
            pending = prepare_outputs(definition, self.ctx)
            started = time.perf_counter()
            self._execute(f"CREATE SCHEMA IF NOT EXISTS {self.qualified_schema}")
            try:
                self._create_input_views(located)
                for number, statement in enumerate(statements, start=1):
                    took = self._execute_script_statement(statement, values)
                    self.ctx.log.info(
                        "statement %d (line %d) ran in %.3f s", number, statement.line, took
                    )
                    self.summary.append(f"statement {number} (line {statement.line}): {took:.3f} s")
                self.summary.append(f"statements run: {len(statements)}")
                self._write_outputs(pending)
            finally:
                self._drop_schema()
            metrics = {f"rows_{o.name}": _parquet_rows(o) for o in pending}
            for output in pending:
                self.summary.append(f"output {output.name}: {metrics[f'rows_{output.name}']} rows")
            self.summary.append(f"done in {time.perf_counter() - started:.3f} s")
            save_summary(definition.default_datastore, self.ctx, self.summary, metrics)
            published = publish_outputs(pending)
            pending = []
            return StepResult(published, metrics)
        except StepRunError as exc:
            self.summary.append(f"failed: {exc}")
            save_summary(definition.default_datastore, self.ctx, self.summary, {})
            raise
        finally:
            discard_outputs(pending)

    def _statements(self, sql: str) -> list[Statement]:
        definition = self.definition
        try:
            statements = split_statements(sql)
        except StatementError as exc:
            raise StepRunError(
                f"step '{definition.name}': {definition.script_name} line {exc.line}: {exc}"
            ) from None
        for statement in statements:
            unknown = [p for p in statement.parameters if p not in definition.params]
            if unknown:
                raise StepRunError(
                    f"step '{definition.name}': {definition.script_name} line "
                    f"{statement.line} reads getvariable('{unknown[0]}'), but the step has no "
                    f"such param (params: {', '.join(definition.params) or 'none'})"
                )
        return [for_sessionless_engine(statement) for statement in statements]

    def _create_input_views(self, located: dict[str, LocatedInput]) -> None:
        definition = self.definition
        refuse_outputs_named_like_inputs(definition, located)
        for name, item in located.items():
            if item.data is None:
                raise StepRunError(
                    f"step '{definition.name}': dataset input '{name}' cannot be read on a "
                    "Databricks SQL warehouse; pass its files as a DataReference"
                )
            kind = _format_of(definition.name, name, item)
            uri = spark_uri(item.data.location, item.data.relative)
            options = ", header => true" if kind == "csv" else ""
            self._execute(
                f"CREATE VIEW {self.qualified_schema}.{_quoted(name)} AS SELECT * FROM "
                f"read_files({_literal(definition, f'input {name}', uri)}, "
                f"format => '{kind}'{options})",
                failure=f"input '{name}' ({uri}) could not be read as {kind}",
            )
            self.summary.append(f"input {name}: view over {kind} at {uri}")

    def _execute_script_statement(self, statement: Statement, values: dict[str, Any]) -> float:
        started = time.perf_counter()
        self._execute(
            statement.text,
            [_parameter(n, values[n]) for n in statement.parameters],
            line=statement.line,
        )
        return time.perf_counter() - started

    def _write_outputs(self, pending: list[PendingOutput]) -> None:
        definition = self.definition
        for output in pending:
            uri = output_uri(output)
            self._execute(
                f"INSERT OVERWRITE DIRECTORY {_literal(definition, f'output {output.name}', uri)}"
                f" USING PARQUET SELECT * FROM {self.qualified_schema}.{_quoted(output.name)}",
                failure=(
                    f"output '{output.name}' could not be written; the script must create a "
                    f"view or table named {output.name}, e.g. CREATE VIEW {output.name} AS "
                    "SELECT ..."
                ),
            )

    def _drop_schema(self) -> None:
        try:
            self._execute(f"DROP SCHEMA IF EXISTS {self.qualified_schema} CASCADE")
        except StepRunError as exc:
            self.ctx.log.warning("the step's schema %s was left behind: %s", self.schema, exc)

    # -- one statement --------------------------------------------------------------------
    def _execute(
        self,
        statement: str,
        parameters: list[dict[str, Any]] | None = None,
        line: int | None = None,
        failure: str | None = None,
    ) -> None:
        """Run one statement to its end; StepRunError with the warehouse's message."""
        body: dict[str, Any] = {
            "statement": statement,
            "warehouse_id": self.compute.warehouse_id,
            "wait_timeout": "0s",
            "on_wait_timeout": "CONTINUE",
        }
        if line is not None:  # the script's own statements run in the step's schema
            body["schema"] = self.schema
        if self.compute.catalog:
            body["catalog"] = self.compute.catalog
        if parameters:
            body["parameters"] = parameters
        statement_id = self._call(lambda: self.hook.post_sql_statement(body))
        if self.on_statement is not None:
            self.on_statement(statement_id)
        try:
            state = self._wait(statement_id)
        finally:
            if self.on_statement is not None:
                self.on_statement(None)
        if state.is_successful:
            return
        definition = self.definition
        message = state.error_message or state.error_code or state.state
        if state.state == "CANCELED":
            message = f"the statement was cancelled ({message})"
        if line is not None:
            where = f"{definition.script_name} line {_file_line(line, message)}"
        else:
            where = failure or "preparing the warehouse"
        raise StepRunError(f"step '{definition.name}': {where}: {message}")

    def _wait(self, statement_id: str) -> Any:
        pause = 0.05
        while True:
            state = self._call(lambda: self.hook.get_sql_statement_state(statement_id))
            if state.is_terminal:
                return state
            time.sleep(pause)
            pause = min(pause * 2, self.max_poll_seconds)

    def _call(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except StepRunError:
            raise
        except Exception as exc:  # the hook raises AirflowException with the HTTP detail
            raise StepRunError(
                f"step '{self.definition.name}': the Databricks SQL warehouse "
                f"{self.compute.warehouse_id} (connection '{self.compute.conn_id}') "
                f"could not be reached: {exc}"
            ) from None


def _file_line(start: int, message: str) -> int:
    """The script line an error is on: Databricks says ``line N`` within the statement."""
    found = re.search(r"\bline (\d+)", message)
    return start + int(found.group(1)) - 1 if found else start


def _format_of(step: str, name: str, item: LocatedInput) -> str:
    """ "csv" or "parquet": by the file's suffix, or the files a folder holds."""
    data = item.data
    assert data is not None
    relative = data.relative.rstrip("/")
    suffix = Path(relative).suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in CSV_SUFFIXES:
        return "csv"
    location = data.location
    names = [p.rsplit("/", 1)[-1].lower() for p in location.fs.find(location.path(relative))]
    names = [n for n in names if not n.startswith((".", "_"))]
    if any(n.endswith(PARQUET_SUFFIXES) for n in names):
        return "parquet"
    if any(n.endswith((".csv", ".tsv")) for n in names):
        return "csv"
    raise StepRunError(
        f"step '{step}': input '{name}' holds no .parquet or .csv files for the warehouse to read"
    )


def _parquet_rows(output: PendingOutput) -> int:
    """Rows written to an output, from the Parquet footers (no data is read)."""
    import pyarrow.parquet as pq

    if output.written_remotely and output.location is not None:
        fs = output.location.fs
        root = output.location.path(output.relative_path)
        files = [p for p in fs.find(root) if p.endswith(".parquet")]
        total = 0
        for path in files:
            with fs.open(path, "rb") as handle:
                total += pq.ParquetFile(handle).metadata.num_rows
        return total
    return sum(pq.ParquetFile(p).metadata.num_rows for p in output.temp.rglob("*.parquet"))
