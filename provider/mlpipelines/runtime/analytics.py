"""Run one analytics (SQL) step in a task on embedded DuckDB: inputs become views, the script
runs statement by statement, and the views or tables named after the outputs become Parquet."""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from mlpipelines.errors import StepRunError, UserErrorException
from mlpipelines.records import ArgumentToken, DatasetInput, StepDefinition, StepInput
from mlpipelines.records.usql import find_usql
from mlpipelines.reuse.decision import ReuseCheck
from mlpipelines.runtime.artifacts import save_summary
from mlpipelines.runtime.outputs import discard_outputs
from mlpipelines.runtime.staging import PendingOutput, prepare_outputs
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.runtime.step_run import StepResult, publish_outputs, run_with_reuse
from mlpipelines.storage.data_locations import LocatedInput

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
# In a folder, .txt files are more often notes than data.
FOLDER_CSV_SUFFIXES = (".csv", ".tsv")

_LEADING_SPACE_AND_COMMENTS = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.S)
_DUCKDB_LINE = re.compile(r"^LINE (\d+):", re.M)
_GETVARIABLE = re.compile(r"getvariable\s*\(\s*'([^']*)'\s*\)", re.I)


def run_analytics_step(definition: StepDefinition, ctx: StepContext) -> StepResult:
    """Reuse the step's earlier result if its key has one; else run its SQL once on DuckDB.

    Raises StepHeld while another run computes the same key, and StepRunError (the script's
    line and DuckDB's message) when the SQL fails.
    """
    return run_with_reuse(
        definition, ctx, lambda check, located: _run_once(definition, ctx, check, located)
    )


def _run_once(
    definition: StepDefinition,
    ctx: StepContext,
    check: ReuseCheck,
    located: dict[str, LocatedInput],
) -> StepResult:
    summary = [f"step {definition.name}: {definition.script_name} on DuckDB {duckdb.__version__}"]
    pending: list[PendingOutput] = []
    work_dir = Path(tempfile.mkdtemp(prefix=f"mlpipelines-{ctx.task_id}-"))
    try:
        sql = read_script(definition, check)
        refuse_usql(definition, sql)
        pending = prepare_outputs(definition, ctx)
        started = time.perf_counter()
        with _connect(definition) as con:
            _create_input_views(con, definition, located, summary, work_dir)
            _set_variables(con, definition, ctx, summary)
            _warn_unset_variables(definition, ctx, sql)
            _run_script(con, definition, ctx, sql, summary)
            metrics = _write_outputs(con, definition, pending, summary)
        summary.append(f"done in {time.perf_counter() - started:.3f} s")
        save_summary(definition.default_datastore, ctx, summary, metrics)
        published = publish_outputs(pending)
        pending = []
        return StepResult(published, metrics)
    except StepRunError as exc:
        summary.append(f"failed: {exc}")
        save_summary(definition.default_datastore, ctx, summary, {})
        raise
    finally:
        discard_outputs(pending)
        shutil.rmtree(work_dir, ignore_errors=True)


def read_script(definition: StepDefinition, check: ReuseCheck) -> str:
    """The SQL as snapshotted for the reuse key, so the key describes the SQL that runs."""
    script = definition.script_name
    snapshot = check.snapshot
    if snapshot is None or script not in snapshot.files:
        raise StepRunError(
            f"step '{definition.name}': script {script} is not in the step's snapshot "
            "(is it excluded by .amlignore or .gitignore?)"
        )
    return (Path(snapshot.root) / script).read_text(encoding="utf-8")


def refuse_usql(definition: StepDefinition, sql: str, dialect: str = "DuckDB SQL") -> None:
    """Raise StepRunError saying what to write instead when the script is U-SQL."""
    found = find_usql(
        sql,
        ", ".join(s.name for s in definition.inputs),
        ", ".join(s.name for s in definition.outputs),
        ", ".join(definition.params),
    )
    if found:
        raise StepRunError(
            f"step '{definition.name}': {definition.script_name} is U-SQL, which this "
            f"step does not run; write {dialect} instead:\n"
            + "\n".join(f"  - line {c.line}, {c.construct}: {c.instead}" for c in found)
        )


def refuse_outputs_named_like_inputs(
    definition: StepDefinition, located: dict[str, LocatedInput]
) -> None:
    """Each input is a view named after it and each output is read from the view named after
    it, so one name cannot be both."""
    clash = sorted({spec.name for spec in definition.outputs} & set(located))
    if clash:
        raise StepRunError(
            f"step '{definition.name}': output '{clash[0]}' has the name of an input; "
            "rename one of them"
        )


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _connect(definition: StepDefinition) -> duckdb.DuckDBPyConnection:
    # Without a registered filesystem, reading az:// or s3:// would otherwise download
    # extensions from the internet mid-task.
    config: dict[str, Any] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    if definition.threads:
        config["threads"] = int(definition.threads)
    return duckdb.connect(":memory:", config=config)


def _data_files(step: str, name: str, path: Path) -> tuple[str, list[str]]:
    """The format ("csv" or "parquet") and files of one input: a file, or a folder's files."""
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix in PARQUET_SUFFIXES:
            return "parquet", [str(path)]
        if suffix in CSV_SUFFIXES:
            return "csv", [str(path)]
        raise StepRunError(
            f"step '{step}': input '{name}': {path.name} is neither CSV "
            f"({', '.join(CSV_SUFFIXES)}) nor Parquet ({', '.join(PARQUET_SUFFIXES)})"
        )
    # Hidden files are partial writes or tool droppings, never data.
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    for kind, suffixes in (("parquet", PARQUET_SUFFIXES), ("csv", FOLDER_CSV_SUFFIXES)):
        chosen = [str(p) for p in files if p.suffix.lower() in suffixes]
        if chosen:
            return kind, chosen
    raise StepRunError(
        f"step '{step}': input '{name}': folder {path} holds no .parquet or .csv files"
    )


def _create_input_views(
    con: duckdb.DuckDBPyConnection,
    definition: StepDefinition,
    located: dict[str, LocatedInput],
    summary: list[str],
    work_dir: Path,
) -> None:
    refuse_outputs_named_like_inputs(definition, located)
    for name, item in located.items():
        if item.data is None:
            _dataset_view(con, definition.name, name, item.spec, summary)
            continue
        local = item.path
        if local is None:  # a remote store: DuckDB reads a local copy
            local = item.data.fetch(work_dir / name)
        kind, files = _data_files(definition.name, name, local)
        try:
            # Paths go through the relation API, never into SQL text. Files written apart
            # (partitions, runs) may differ in column order or types: union them by name.
            union = len(files) > 1
            if kind == "parquet":
                relation = con.read_parquet(files, union_by_name=union)
            else:
                relation = con.read_csv(files, union_by_name=union)
            relation.create_view(name)
        except duckdb.Error as exc:
            raise StepRunError(
                f"step '{definition.name}': input '{name}' ({item.data.uri()}) "
                f"could not be read as {kind}: {exc}"
            ) from None
        summary.append(f"input {name}: view over {len(files)} {kind} file(s) at {item.data.uri()}")


def _dataset_view(
    con: duckdb.DuckDBPyConnection,
    step: str,
    name: str,
    spec: StepInput,
    summary: list[str],
) -> None:
    """A view over a named tabular dataset input, read through its own definition."""
    from mlpipelines.datasets.tabular_reading import read_definition
    from mlpipelines.storage.deployment import Deployment

    assert isinstance(spec, DatasetInput)
    if spec.dataset.get("kind") != "tabular" or spec.mode != "direct":
        raise StepRunError(
            f"step '{step}': dataset input '{name}' must be a TabularDataset used directly "
            "(as_named_input('name')) to be read as a view"
        )
    try:
        table = read_definition(spec.dataset, Deployment.current_knowing(spec.stores))
    except UserErrorException as exc:
        raise StepRunError(f"step '{step}': dataset input '{name}': {exc}") from None
    con.from_arrow(table).create_view(name)
    summary.append(f"input {name}: view over dataset ({table.num_rows} rows)")


def sql_param_value(key: str, token: ArgumentToken, params: Mapping[str, Any]) -> Any:
    """A SQL param's value, bound with its type: a literal or a pipeline parameter."""
    if token.kind in ("parameter", "value"):
        return token.resolve(params, {}, {})
    raise StepRunError(f"param '{key}' of an analytics step must be a value or PipelineParameter")


def _set_variables(
    con: duckdb.DuckDBPyConnection,
    definition: StepDefinition,
    ctx: StepContext,
    summary: list[str],
) -> None:
    for key, token in definition.params.items():
        value = sql_param_value(key, token, ctx.params)
        # The value is bound, never pasted into SQL text, so it can only ever be data.
        con.execute(f"SET VARIABLE {_quoted(key)} = ?", [value])
        summary.append(f"param {key} = {value!r}")


def _warn_unset_variables(definition: StepDefinition, ctx: StepContext, sql: str) -> None:
    """getvariable() of a name never set is NULL, not an error: say so in the log."""
    unknown = sorted(set(_GETVARIABLE.findall(sql)) - set(definition.params))
    if unknown:
        ctx.log.warning(
            "step %s reads getvariable(%s) but has no such params (it reads NULL unless "
            "the script sets it)",
            definition.name,
            ", ".join(f"'{n}'" for n in unknown),
        )


def _statements(
    con: duckdb.DuckDBPyConnection, definition: StepDefinition, sql: str
) -> list[tuple[int, str]]:
    """Each statement (split by DuckDB's parser) with the file line it starts on, its text
    padded with the newlines before it so DuckDB's own ``LINE n`` matches the file."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise _sql_error(definition, None, exc) from None
    found = []
    cursor = 0
    for statement in statements:
        text = statement.query
        at = sql.find(text, cursor)
        if at < 0:
            at = cursor
        else:
            cursor = at + len(text)
        leading = _LEADING_SPACE_AND_COMMENTS.match(text)
        start = at + (leading.end() if leading else 0)
        found.append((sql.count("\n", 0, start) + 1, "\n" * sql.count("\n", 0, at) + text))
    return found


def _sql_error(definition: StepDefinition, line: int | None, exc: Exception) -> StepRunError:
    message = str(exc)
    reported = _DUCKDB_LINE.search(message)
    if reported:
        line = int(reported.group(1))
    where = f" line {line}" if line is not None else ""
    return StepRunError(f"step '{definition.name}': {definition.script_name}{where}: {message}")


def _run_script(
    con: duckdb.DuckDBPyConnection,
    definition: StepDefinition,
    ctx: StepContext,
    sql: str,
    summary: list[str],
) -> None:
    statements = _statements(con, definition, sql)
    for number, (line, text) in enumerate(statements, start=1):
        started = time.perf_counter()
        try:
            con.execute(text)
        except duckdb.Error as exc:
            raise _sql_error(definition, line, exc) from None
        took = time.perf_counter() - started
        ctx.log.info("statement %d (line %d) ran in %.3f s", number, line, took)
        summary.append(f"statement {number} (line {line}): {took:.3f} s")
    summary.append(f"statements run: {len(statements)}")


def _created(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT DISTINCT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' ORDER BY table_name"
    ).fetchall()
    return [row[0] for row in rows]


def _relation(
    con: duckdb.DuckDBPyConnection, definition: StepDefinition, name: str
) -> duckdb.DuckDBPyRelation | None:
    """The view or table ``name``; None when the script made none (looked up only then)."""
    try:
        return con.table(name)
    except duckdb.Error as exc:
        if name not in _created(con):
            return None
        raise StepRunError(
            f"step '{definition.name}': output '{name}' cannot be read: {exc}"
        ) from None


def _write_outputs(
    con: duckdb.DuckDBPyConnection,
    definition: StepDefinition,
    pending: list[PendingOutput],
    summary: list[str],
) -> dict[str, Any]:
    """Write each output's view or table to ``<output>/<output>.parquet``; rows per output."""
    relations: dict[str, duckdb.DuckDBPyRelation] = {}
    missing = []
    for output in pending:
        relation = _relation(con, definition, output.name)
        if relation is None:
            missing.append(output.name)
        else:
            relations[output.name] = relation
    if missing:
        inputs = {spec.name for spec in definition.inputs}
        made = ", ".join(n for n in _created(con) if n not in inputs) or "nothing"
        raise StepRunError(
            f"step '{definition.name}': {definition.script_name} created no view or "
            f"table named {', '.join(repr(m) for m in missing)} (it created: {made}); "
            f"create one per output, e.g. CREATE VIEW {missing[0]} AS SELECT ..."
        )
    metrics: dict[str, Any] = {}
    for output in pending:
        file = output.temp / f"{output.name}.parquet"
        try:
            # COPY answers with the rows it wrote (a separate count would cost a query). The
            # path is the step's own temp folder, never user input, quoted as a literal.
            copied = con.execute(
                f"COPY {_quoted(output.name)} TO {_literal(str(file))} (FORMAT parquet)"
            )
            rows = copied.fetchall()[0][0]
        except duckdb.Error as exc:
            raise StepRunError(
                f"step '{definition.name}': output '{output.name}' could not be written: {exc}"
            ) from None
        metrics[f"rows_{output.name}"] = rows
        summary.append(f"output {output.name}: {rows} rows -> {output.name}.parquet")
    return metrics
