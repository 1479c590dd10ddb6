"""U-SQL in an AdlaStep is refused by validate() and submit, naming the step and each line,
before any task runs (the Azure ML ADLA sample's script as it was written)."""

from __future__ import annotations

import pytest

from mlpipelines.azureml.core import Datastore, Experiment, Workspace
from mlpipelines.azureml.data.data_reference import DataReference
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import AdlaStep
from mlpipelines.errors import PipelineValidationError

SAMPLE_USQL = """\
@employees =
    EXTRACT EmpId int,
            EmpName string,
            DeptName string
    FROM "@@employee_data@@"
    USING Extractors.Tsv();

OUTPUT @employees
TO "@@employee_details@@"
USING Outputters.Csv();
"""


def _pipeline(ws, folder, script: str, sql: str) -> Pipeline:
    (folder / script).write_text(sql)
    employee_data = DataReference(
        datastore=Datastore(ws, "workspaceblobstore"),
        data_reference_name="employee_data",
        path_on_datastore="adla_sample/sample_input.csv",
    )
    employee_details = PipelineData("employee_details", datastore=ws.get_default_datastore())
    adla_step = AdlaStep(
        name="extract_employee_details",
        script_name=script,
        source_directory=str(folder),
        inputs=[employee_data],
        outputs=[employee_details],
    )
    return Pipeline(workspace=ws, steps=[adla_step])


def test_validate_names_the_step_each_usql_line_and_what_to_write(tmp_path):
    pipeline = _pipeline(Workspace.current(), tmp_path, "sample_script.usql", SAMPLE_USQL)
    with pytest.raises(PipelineValidationError) as err:
        pipeline.validate()
    [problem] = err.value.problems
    assert problem.kind == "usql-script"
    assert problem.step == "extract_employee_details"
    message = str(problem)
    assert message.startswith(
        "step 'extract_employee_details': script 'sample_script.usql' is U-SQL"
    )
    assert "must be SQL for DuckDB (or Databricks SQL" in message
    assert "docs/analytics.md" in message
    assert "line 1, @rowset = ..." in message
    assert "line 2, EXTRACT ... USING Extractors: each input is already a view" in message
    assert "(here: employee_data)" in message
    assert "line 8, OUTPUT ... TO ... USING Outputters" in message
    assert "(here: employee_details)" in message


def test_submit_refuses_usql_before_anything_reaches_airflow(tmp_path):
    # Nothing listens on port 9: a request would fail with a connection error instead.
    ws = Workspace(name="usql", airflow_url="http://127.0.0.1:9", home=str(tmp_path / "home"))
    pipeline = _pipeline(ws, tmp_path, "script.sql", "DECLARE @cutoff int = 3;\nSELECT 1;\n")
    with pytest.raises(PipelineValidationError) as err:
        Experiment(ws, "adla").submit(pipeline)
    assert err.value.kinds == ["usql-script"]
    assert "line 1, DECLARE @name: read a parameter with getvariable('name')" in str(err.value)


@pytest.mark.parametrize(
    ("expression", "line"),
    [
        ("SELECT EmpName.ToUpper() AS name FROM employee_data;", 2),
        ("SELECT DateTime.Parse(hired) AS hired FROM employee_data;", 2),
        ("SELECT (int) EmpId AS id FROM employee_data;", 2),
        ("SELECT EmpName ?? 'none' AS name FROM employee_data;", 2),
    ],
)
def test_a_csharp_expression_is_usql_too(tmp_path, expression, line):
    sql = f"CREATE VIEW employee_details AS\n{expression}\n"
    with pytest.raises(PipelineValidationError) as err:
        _pipeline(Workspace.current(), tmp_path, "x.sql", sql).validate()
    [problem] = err.value.problems
    assert f"line {line}, a C# expression: write it as a SQL expression" in str(problem)


def test_duckdb_sql_with_similar_words_is_not_mistaken_for_usql(tmp_path):
    sql = """-- totals per department
CREATE VIEW employee_details AS
SELECT upper(DeptName) AS dept, EmpName.upper() AS name, contains(EmpName, 'a') AS has_a,
       CAST(EmpId AS int) AS id, coalesce(DeptName, 'none') AS d,
       strftime(now(), '%Y') AS year
FROM employee_data
WHERE EmpId > getvariable('min_id');
"""
    assert _pipeline(Workspace.current(), tmp_path, "ok.sql", sql).validate() == []
