"""AdlaStep / AnalyticsStep on a Databricks SQL warehouse: the target's checks, and runs
through the real DatabricksHook against the Statement Execution API stand-in (DuckDB-backed)."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from mlpipelines import (
    AdlaStep,
    AnalyticsStep,
    DataReference,
    Dataset,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PipelineValidationError,
    Workspace,
)
from mlpipelines.azureml.core.compute import AdlaCompute, ComputeTarget
from mlpipelines.errors import ComputeTargetException, StepRunError
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.operators.analytics import AnalyticsStepOperator
from mlpipelines.records import StepDefinition
from mlpipelines.runtime.step_context import StepContext
from support.databricks_jobs_api import JobsApiStandIn
from support.databricks_sql_warehouse import NEVER_ENDS

CONN_ID = "databricks_test"
WAREHOUSE = "wh-test"
SALES = "region,amount\nnorth,5\nnorth,20\nsouth,30\nsouth,40\nwest,50\n"
HOSTILE = "x'; DROP SCHEMA main CASCADE; --"


def _store() -> Path:
    """The default datastore's folder steps read and write (the test session's)."""
    return Workspace.current().datastore_root("workspaceblobstore")


@pytest.fixture
def sales() -> str:
    """A folder of sales on the default datastore, of this test alone."""
    relative = f"warehouse-tests/{uuid.uuid4().hex[:12]}"
    (_store() / relative).mkdir(parents=True)
    (_store() / relative / "sales.csv").write_text(SALES)
    return relative


@pytest.fixture
def ws(tmp_path: Path, sales: str) -> Workspace:
    """A workspace whose compute registry holds the warehouse target."""
    ws = Workspace(home=str(tmp_path / "home"))
    ws.sales = sales  # type: ignore[attr-defined]
    ComputeTarget.attach(
        ws,
        "warehouse",
        AdlaCompute.attach_configuration(
            engine="databricks_sql", databricks_compute=CONN_ID, warehouse_id=WAREHOUSE
        ),
    )
    return ws


def _step(ws: Workspace, tmp_path: Path, sql: str, **kwargs: Any) -> AnalyticsStep:
    source = tmp_path / f"sql-{uuid.uuid4().hex[:8]}"
    source.mkdir()
    (source / "report.sql").write_text(sql)
    kwargs.setdefault(
        "inputs",
        [DataReference(ws.get_default_datastore(), "sales", path_on_datastore=ws.sales)],
    )
    kwargs.setdefault("outputs", [PipelineData("big")])
    return AnalyticsStep(
        script_name="report.sql",
        name="report",
        source_directory=source,
        compute_target="warehouse",
        allow_reuse=False,
        **kwargs,
    )


def _definition(ws: Workspace, step: AnalyticsStep) -> StepDefinition:
    (task,) = plan_pipeline(Pipeline(ws, [step])).tasks
    return task.definition


def _context(params: dict[str, Any] | None = None) -> StepContext:
    return StepContext(
        "warehouse_dag",
        f"manual__{uuid.uuid4().hex[:8]}",
        "report",
        params=dict(params or {}),
        pull_output=lambda producer, name: None,
    )


def _operator(definition: dict[str, Any]) -> AnalyticsStepOperator:
    return AnalyticsStepOperator.for_step(task_id="report", step=definition)


def _script_bodies(api: JobsApiStandIn) -> list[dict[str, Any]]:
    """The statements the step's script sent (those run in the step's schema)."""
    return [b for b in api.warehouse.bodies if "schema" in b]


REPORT = """-- the big sales per region
CREATE VIEW big AS
SELECT region, sum(amount) AS total
FROM sales
WHERE amount >= getvariable('min_amount') AND region <> getvariable('skip')
GROUP BY region
ORDER BY region;
"""


def test_the_plan_names_the_connection_and_the_warehouse(ws, tmp_path):
    definition = _definition(ws, _step(ws, tmp_path, REPORT))
    assert definition.to_json()["compute"] == {
        "type": "ADLAnalytics",
        "pool": None,
        "engine": "databricks_sql",
        "conn_id": CONN_ID,
        "warehouse_id": WAREHOUSE,
        "catalog": None,
    }


def test_inputs_become_views_and_parameters_travel_as_markers(ws, tmp_path, jobs_api):
    min_amount = PipelineParameter("min_amount", default_value=10)
    step = _step(ws, tmp_path, REPORT, params={"min_amount": min_amount, "skip": HOSTILE})
    definition = _definition(ws, step)

    result = _operator(definition).run_step(_context({"min_amount": 25}))

    (script,) = _script_bodies(jobs_api)
    # A view may hold no parameter marker on Databricks SQL: it is made a table instead.
    assert script["statement"].startswith("CREATE TABLE big AS")
    assert "WHERE amount >= :min_amount AND region <> :skip" in script["statement"]
    assert script["parameters"] == [
        {"name": "min_amount", "value": "25", "type": "BIGINT"},
        {"name": "skip", "value": HOSTILE, "type": "STRING"},
    ]
    assert all(HOSTILE not in b["statement"] for b in jobs_api.warehouse.bodies)
    assert all(b["warehouse_id"] == WAREHOUSE for b in jobs_api.warehouse.bodies)
    view = next(b for b in jobs_api.warehouse.bodies if "read_files" in b["statement"])
    assert "format => 'csv', header => true" in view["statement"]
    assert result.metrics == {"rows_big": 2}
    folder = _store() / result.outputs["big"].path
    table = pq.read_table(next(folder.rglob("*.parquet"))).to_pydict()
    assert table == {"region": ["south", "west"], "total": [70, 50]}
    assert jobs_api.warehouse.schemas(WAREHOUSE) == [], "the step's schema is dropped"


def test_a_sql_error_names_the_script_line_and_leaves_nothing(ws, tmp_path, jobs_api):
    sql = (
        "CREATE VIEW ok AS SELECT 1 AS x;\n\nCREATE VIEW big AS SELECT no_such_column FROM sales;\n"
    )
    definition = _definition(ws, _step(ws, tmp_path, sql))
    ctx = _context()

    with pytest.raises(StepRunError) as failed:
        _operator(definition).run_step(ctx)

    assert "step 'report': report.sql line 3:" in str(failed.value)
    assert "no_such_col" in str(failed.value)
    assert jobs_api.warehouse.schemas(WAREHOUSE) == []
    run = _store() / "pipelinedata" / ctx.run_folder
    assert not any(p.is_file() for p in run.rglob("*")), "no partial output"


def test_a_missing_output_view_says_what_to_create(ws, tmp_path, jobs_api):
    definition = _definition(ws, _step(ws, tmp_path, "CREATE VIEW other AS SELECT 1 AS x;"))
    with pytest.raises(StepRunError, match="must create a view or table named big"):
        _operator(definition).run_step(_context())
    assert jobs_api.warehouse.schemas(WAREHOUSE) == []


def test_an_unknown_getvariable_is_refused_before_any_statement(ws, tmp_path, jobs_api):
    sql = "CREATE VIEW big AS\nSELECT * FROM sales WHERE amount > getvariable('threshold');"
    definition = _definition(ws, _step(ws, tmp_path, sql, params={"limit": 3}))
    with pytest.raises(StepRunError, match=r"line 1 reads getvariable\('threshold'\).*limit"):
        _operator(definition).run_step(_context())
    assert jobs_api.warehouse.bodies == []


def test_usql_is_refused_saying_to_write_databricks_sql(ws, tmp_path, jobs_api):
    step = _step(ws, tmp_path, "CREATE VIEW totals AS SELECT 1 AS x;")
    definition = _definition(ws, step)
    # Validation refuses U-SQL first; the task refuses a script changed into U-SQL since.
    sql = '@rows = EXTRACT a int FROM "x.csv" USING Extractors.Csv();\n'
    (Path(step.source_folder) / "report.sql").write_text(sql)
    with pytest.raises(StepRunError, match="write Databricks SQL instead"):
        _operator(definition).run_step(_context())
    assert jobs_api.warehouse.bodies == []


def test_an_unknown_warehouse_is_a_clear_error(tmp_path, sales, jobs_api):
    ws = Workspace(home=str(tmp_path / "other"))
    ws.sales = sales  # type: ignore[attr-defined]
    config = AdlaCompute.attach_configuration(
        engine="databricks_sql", databricks_compute=CONN_ID, warehouse_id="wh-gone"
    )
    ComputeTarget.attach(ws, "warehouse", config)
    definition = _definition(ws, _step(ws, tmp_path, REPORT, params={"min_amount": 1, "skip": ""}))
    with pytest.raises(StepRunError, match=r"warehouse wh-gone .*could not be reached.*does not"):
        _operator(definition).run_step(_context())


def test_on_kill_cancels_the_running_statement(ws, tmp_path, jobs_api):
    sql = f"CREATE VIEW big AS SELECT * FROM sales {NEVER_ENDS};"
    definition = _definition(ws, _step(ws, tmp_path, sql))
    operator = _operator(definition)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            operator.run_step(_context())
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 10
    while not _script_bodies(jobs_api) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    operator.on_kill()
    thread.join(10)

    assert not thread.is_alive()
    assert failure and isinstance(failure[0], StepRunError)
    assert "cancelled" in str(failure[0])
    (script,) = (s for s in jobs_api.warehouse.statements.values() if "schema" in s.body)
    assert script.state == "CANCELED"
    assert jobs_api.warehouse.schemas(WAREHOUSE) == []


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        (
            {"engine": "spark"},
            "engine 'spark' is not available",
        ),
        ({"engine": "databricks_sql", "warehouse_id": "w"}, "needs databricks_compute"),
        ({"engine": "databricks_sql", "databricks_compute": CONN_ID}, "needs warehouse_id"),
    ],
)
def test_bad_warehouse_targets_are_refused_when_attached(tmp_path, settings, says):
    ws = Workspace(home=str(tmp_path / "home"))
    with pytest.raises(ComputeTargetException, match=f"compute target 'sql': .*{says}"):
        ComputeTarget.attach(ws, "sql", AdlaCompute.attach_configuration(**settings))


def test_what_a_warehouse_cannot_do_is_refused_at_definition(ws, tmp_path):
    dataset = Dataset.Tabular.from_delimited_files(
        (Workspace.current().get_default_datastore(), f"{ws.sales}/*.csv")
    )
    step = _step(
        ws,
        tmp_path,
        REPORT,
        inputs=[dataset.as_named_input("sales")],
        params={"min-amount": 3},
    )
    with pytest.raises(PipelineValidationError) as refused:
        Pipeline(ws, [step]).validate()
    message = str(refused.value)
    assert "report" in message
    assert "reads files by URI, not dataset objects" in message
    assert "param 'min-amount' cannot be a named parameter" in message


def test_adla_step_old_name_runs_on_the_warehouse_too(ws, tmp_path, jobs_api):
    source = tmp_path / "adla"
    source.mkdir()
    (source / "copy.sql").write_text("CREATE TABLE big AS SELECT * FROM sales;")
    step = AdlaStep(
        script_name="copy.sql",
        name="report",
        inputs=[DataReference(ws.get_default_datastore(), "sales", path_on_datastore=ws.sales)],
        outputs=[PipelineData("big")],
        source_directory=source,
        compute_target="warehouse",
    )
    result = _operator(_definition(ws, step)).run_step(_context())
    assert result.metrics == {"rows_big": 5}
