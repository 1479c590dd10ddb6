"""Running one analytics (SQL) step on embedded DuckDB without Airflow: inputs as views,
parameters as variables, outputs as Parquet, clear errors, reuse."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import duckdb
import pytest

from mlpipelines import (
    AdlaStep,
    AnalyticsStep,
    DataReference,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PipelineValidationError,
    Workspace,
)
from mlpipelines.errors import StepRunError
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.records import OutputReference, StepDefinition
from mlpipelines.runtime.analytics import run_analytics_step
from mlpipelines.runtime.step_context import StepContext

SALES = [("north", 10.0), ("south", 2.5), ("north", 7.5), ("east", 1.0), ("south", 4.0)]
TOTALS_SQL = """
-- per-region totals
CREATE VIEW totals AS
SELECT region, sum(amount) AS total, count(*) AS orders
FROM sales
GROUP BY region;
"""


def _store() -> Path:
    return Workspace.current().datastore_root("workspaceblobstore")


@pytest.fixture
def data_dir() -> str:
    """A fresh folder on the default datastore; returns its path relative to the datastore."""
    relative = f"analytics-tests/{uuid.uuid4().hex[:12]}"
    (_store() / relative).mkdir(parents=True)
    return relative


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "sql"
    folder.mkdir()
    return folder


def _write_sales_csv(path: Path, rows: list[tuple[str, float]] = SALES) -> None:
    lines = ["region,amount", *(f"{region},{amount}" for region, amount in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _sales_reference(relative: str, name: str = "sales") -> DataReference:
    return DataReference(
        Workspace.current().get_default_datastore(),
        data_reference_name=name,
        path_on_datastore=relative,
    )


def _step(src: Path, sql: str, script: str = "summarize.sql", **kwargs: Any) -> AdlaStep:
    (src / script).write_text(sql, encoding="utf-8")
    kwargs.setdefault("allow_reuse", False)
    kwargs.setdefault("name", "summarize")
    return AdlaStep(script_name=script, source_directory=str(src), **kwargs)


def _definitions(*steps: AdlaStep) -> dict[str, StepDefinition]:
    plan = plan_pipeline(Pipeline(Workspace.current(), list(steps)))
    return {task.task_id: task.definition for task in plan.tasks}


def _context(
    run_id: str | None = None,
    task_id: str = "summarize",
    params: dict[str, Any] | None = None,
    produced: dict[str, OutputReference] | None = None,
) -> StepContext:
    return StepContext(
        "analytics",
        run_id or f"manual__{uuid.uuid4().hex[:8]}",
        task_id,
        params=dict(params or {}),
        pull_output=lambda producer, name: (produced or {}).get(name),
    )


def _read_output(ref: OutputReference, name: str) -> list[tuple[Any, ...]]:
    folder = _store() / ref.path
    assert sorted(os.listdir(folder)) == [f"{name}.parquet"]
    file = str(folder / f"{name}.parquet")
    return duckdb.sql(f"SELECT * FROM read_parquet('{file}') ORDER BY ALL").fetchall()


def _step_dir(ctx: StepContext) -> Path:
    return _store() / "pipelinedata" / ctx.run_folder / ctx.task_id


def _expected_totals(rows: list[tuple[str, float]]) -> list[tuple[str, float, int]]:
    totals: dict[str, list[float]] = {}
    for region, amount in rows:
        totals.setdefault(region, []).append(amount)
    return sorted((r, sum(a), len(a)) for r, a in totals.items())


def test_csv_file_input_is_a_view_and_the_group_by_lands_as_parquet(src, data_dir):
    _write_sales_csv(_store() / data_dir / "sales.csv")
    totals = PipelineData("totals")
    step = _step(
        src, TOTALS_SQL, inputs=[_sales_reference(f"{data_dir}/sales.csv")], outputs=[totals]
    )
    definition = _definitions(step)["summarize"]
    ctx = _context()
    result = run_analytics_step(definition, ctx)
    assert _read_output(result.outputs["totals"], "totals") == _expected_totals(SALES)
    assert result.metrics == {"rows_totals": 3}
    artifacts = _store() / "artifacts" / ctx.run_folder / ctx.task_id
    stdout = (artifacts / "stdout.txt").read_text()
    assert "statements run: 1" in stdout
    assert "output totals: 3 rows" in stdout
    assert [p.name for p in _step_dir(ctx).iterdir()] == ["totals"]


def test_parquet_folder_input_reads_every_parquet_file_under_it(src, data_dir):
    folder = _store() / data_dir / "sales"
    (folder / "2024").mkdir(parents=True)
    halves = {"part-0.parquet": SALES[:2], "2024/part-1.parquet": SALES[2:]}
    con = duckdb.connect()
    for name, rows in halves.items():
        values = ", ".join(f"('{r}', {a})" for r, a in rows)
        con.execute(
            f"COPY (SELECT * FROM (VALUES {values}) t(region, amount)) "
            f"TO '{folder / name}' (FORMAT parquet)"
        )
    (folder / "README.txt").write_text("not data")
    (folder / ".part-2.parquet.partial").write_text("half written")
    step = _step(
        src,
        TOTALS_SQL,
        inputs=[_sales_reference(f"{data_dir}/sales")],
        outputs=[PipelineData("totals")],
    )
    result = run_analytics_step(_definitions(step)["summarize"], _context())
    assert _read_output(result.outputs["totals"], "totals") == _expected_totals(SALES)


def test_pipeline_data_input_is_a_view_named_after_its_input_name(src, data_dir):
    _write_sales_csv(_store() / data_dir / "sales.csv")
    cleaned = PipelineData("cleaned")
    clean = _step(
        src,
        "CREATE TABLE cleaned AS SELECT upper(region) AS region, amount FROM sales;",
        script="clean.sql",
        name="clean",
        inputs=[_sales_reference(f"{data_dir}/sales.csv")],
        outputs=[cleaned],
    )
    summarize = _step(
        src,
        TOTALS_SQL.replace("FROM sales", "FROM clean_rows"),
        inputs=[cleaned.as_input("clean_rows")],
        outputs=[PipelineData("totals")],
    )
    definitions = _definitions(clean, summarize)
    run_id = f"manual__{uuid.uuid4().hex[:8]}"
    produced = run_analytics_step(definitions["clean"], _context(run_id, "clean"))
    assert produced.metrics == {"rows_cleaned": len(SALES)}
    result = run_analytics_step(
        definitions["summarize"], _context(run_id, produced=produced.outputs)
    )
    expected = [(r.upper(), t, n) for r, t, n in _expected_totals(SALES)]
    assert _read_output(result.outputs["totals"], "totals") == expected


def test_params_are_variables_and_a_hostile_value_arrives_as_data(src):
    hostile = "'; DROP TABLE x; --"
    step = _step(
        src,
        """
        CREATE TABLE x AS SELECT 1 AS kept;
        CREATE VIEW seen AS SELECT
            getvariable('min_amount') AS min_amount,
            typeof(getvariable('min_amount')) AS min_amount_type,
            getvariable('label') AS label,
            getvariable('literal') AS literal,
            (SELECT count(*) FROM x) AS x_rows,
            current_setting('threads') AS threads;
        """,
        params={
            "min_amount": PipelineParameter("min_amount", 3),
            "label": PipelineParameter("label", "plain"),
            "literal": hostile,
        },
        outputs=[PipelineData("seen")],
        degree_of_parallelism=1,
    )
    definition = _definitions(step)["summarize"]
    assert definition.threads == 1
    ctx = _context(params={"min_amount": 3, "label": hostile})
    result = run_analytics_step(definition, ctx)
    assert _read_output(result.outputs["seen"], "seen") == [(3, "INTEGER", hostile, hostile, 1, 1)]


def test_usql_is_refused_with_what_to_write_instead(src, data_dir):
    _write_sales_csv(_store() / data_dir / "sales.csv")
    usql = """DECLARE @min_amount float = 1.0;
@rows =
    EXTRACT region string, amount float
    FROM "/sales.csv"
    USING Extractors.Csv(skipFirstNRows: 1);
OUTPUT @rows TO "/totals.csv" USING Outputters.Csv();
"""
    step = _step(
        src,
        "CREATE VIEW totals AS SELECT 1 AS x;\n",
        inputs=[_sales_reference(f"{data_dir}/sales.csv")],
        outputs=[PipelineData("totals")],
        params={"min_amount": 1.0},
    )
    definition = _definitions(step)["summarize"]
    # Validation refuses U-SQL before a run (tests/unit/model/test_usql_refused_early.py);
    # the task still refuses a script changed into U-SQL since.
    (src / "summarize.sql").write_text(usql, encoding="utf-8")
    ctx = _context()
    with pytest.raises(StepRunError) as refused:
        run_analytics_step(definition, ctx)
    message = str(refused.value)
    assert "step 'summarize': summarize.sql is U-SQL" in message
    assert "line 3, EXTRACT ... USING Extractors: each input is already a view" in message
    assert "(here: sales)" in message
    assert "line 6, OUTPUT ... TO ... USING Outputters" in message
    assert "CREATE VIEW <output>" in message and "(here: totals)" in message
    assert "line 2, @rowset" in message
    assert "line 1, DECLARE @name: read a parameter with getvariable('name')" in message
    lines = [int(part.split(",")[0]) for part in message.split("  - line ")[1:]]
    assert lines == sorted(lines)
    assert not _step_dir(ctx).exists() or os.listdir(_step_dir(ctx)) == []


def test_sql_error_names_the_step_the_script_and_the_line(src):
    sql = "CREATE VIEW a AS SELECT 1 AS x;\n\n-- then\nCREATE VIEW totals AS\n  SELECT y FROM a;\n"
    step = _step(src, sql, outputs=[PipelineData("totals")])
    ctx = _context()
    with pytest.raises(StepRunError) as failed:
        run_analytics_step(_definitions(step)["summarize"], ctx)
    message = str(failed.value)
    assert message.startswith("step 'summarize': summarize.sql line 5: Binder Error")
    assert '"y" not found' in message
    assert not _step_dir(ctx).exists() or os.listdir(_step_dir(ctx)) == []
    stdout = (_store() / "artifacts" / ctx.run_folder / ctx.task_id / "stdout.txt").read_text()
    assert "statement 1 (line 1)" in stdout and "failed: " in stdout


def test_syntax_error_names_the_line(src):
    sql = "CREATE VIEW a AS SELECT 1 AS x;\nCREATE VIEW totals AS\nSELEC * FRM a;\n"
    step = _step(src, sql, outputs=[PipelineData("totals")])
    with pytest.raises(StepRunError, match=r"summarize.sql line 3: Parser Error"):
        run_analytics_step(_definitions(step)["summarize"], _context())


def test_missing_output_view_is_named_with_what_the_script_created(src):
    step = _step(
        src,
        "CREATE VIEW region_sums AS SELECT 1 AS x;\nCREATE TEMP TABLE scratch AS SELECT 2;",
        outputs=[PipelineData("totals")],
    )
    ctx = _context()
    with pytest.raises(StepRunError) as failed:
        run_analytics_step(_definitions(step)["summarize"], ctx)
    message = str(failed.value)
    assert "created no view or table named 'totals'" in message
    assert "(it created: region_sums, scratch)" in message
    assert not _step_dir(ctx).exists() or os.listdir(_step_dir(ctx)) == []


def test_an_output_view_that_cannot_be_read_says_why(src):
    step = _step(
        src,
        "CREATE TABLE t AS SELECT 1 AS x;\nCREATE VIEW totals AS SELECT x FROM t;\nDROP TABLE t;",
        outputs=[PipelineData("totals")],
    )
    with pytest.raises(StepRunError, match=r"output 'totals' cannot be read: .*\bt\b"):
        run_analytics_step(_definitions(step)["summarize"], _context())


def test_a_second_run_reuses_and_regenerate_outputs_runs_again(src, data_dir):
    # Data no other test has, so the reuse key is this test's own.
    rows = [*SALES, (data_dir.rsplit("/", 1)[-1], 1.0)]
    _write_sales_csv(_store() / data_dir / "sales.csv", rows)
    step = _step(
        src,
        TOTALS_SQL,
        inputs=[_sales_reference(f"{data_dir}/sales.csv")],
        outputs=[PipelineData("totals")],
        allow_reuse=True,
    )
    definition = _definitions(step)["summarize"]
    first = run_analytics_step(definition, _context())
    assert first.reused is None
    second = run_analytics_step(definition, _context())
    assert second.reused is not None
    assert second.outputs == first.outputs
    assert second.metrics == first.metrics == {"rows_totals": 4}
    again = run_analytics_step(definition, _context(params={"regenerate_outputs": True}))
    assert again.reused is None
    assert again.outputs["totals"].path != first.outputs["totals"].path
    assert _read_output(again.outputs["totals"], "totals") == _expected_totals(rows)


def test_analytics_step_is_adla_step_planned_with_its_threads(src):
    step = AnalyticsStep(
        script_name="q.sql",
        source_directory=str(src),
        degree_of_parallelism=4,
        priority=100,
        runtime_version="1.0",
    )
    (src / "q.sql").write_text("SELECT 1;")
    definition = _definitions(step)["q.sql"]
    assert isinstance(step, AdlaStep)
    assert (definition.kind, definition.threads, definition.arguments) == ("analytics", 4, ())
    assert definition.script_name == "q.sql"


def test_a_missing_sql_script_is_refused_at_definition(src):
    step = AdlaStep(script_name="missing.sql", name="summarize", source_directory=str(src))
    with pytest.raises(PipelineValidationError) as refused:
        plan_pipeline(Pipeline(Workspace.current(), [step]))
    assert refused.value.kinds == ["missing-script"]
    assert "script 'missing.sql' is not in source_directory" in str(refused.value)
