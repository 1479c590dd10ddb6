"""Named dataset inputs in steps: what the script gets from Run.get_context().input_datasets
and its arguments, SQL views over them, and reuse that notices a changed file."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from mlpipelines import (
    AdlaStep,
    Dataset,
    Datastore,
    Pipeline,
    PipelineData,
    PipelineValidationError,
    PythonScriptStep,
    Workspace,
)
from mlpipelines.errors import StepRunError
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.runtime.analytics import run_analytics_step
from mlpipelines.runtime.python_script import run_python_script_step
from mlpipelines.runtime.step_context import StepContext

SCRIPT = """
import json, os, sys
from mlpipelines import Run
inputs = Run.get_context().input_datasets
frame = inputs["rows"].to_pandas_dataframe()
raw = sys.argv[sys.argv.index("--raw") + 1]
out = sys.argv[sys.argv.index("--out") + 1]
with open(os.path.join(out, "seen.json"), "w") as sink:
    json.dump({"rows": len(frame), "total": int(frame["amount"].sum()),
               "raw_is_input": raw == inputs["raw"],
               "raw_files": sorted(os.listdir(raw)),
               "rows_arg": sys.argv[sys.argv.index("--rows") + 1]}, sink)
"""


@pytest.fixture
def store() -> tuple[object, Path]:
    ws = Workspace.current()
    datastore = ws.get_default_datastore()
    data = datastore.root / f"sales-{uuid.uuid4().hex[:8]}"
    data.mkdir(parents=True)
    for day in (1, 2, 3):
        (data / f"day{day}.csv").write_text(f"region,amount\nnorth,{day}\nsouth,{10 * day}\n")
    return datastore, data


RUN_PREFIX = f"datasets_{uuid.uuid4().hex[:6]}"


def _ctx(run_id: str) -> StepContext:
    """A context whose runs no other test module shares (they share one datastore)."""
    return StepContext("dag", f"{RUN_PREFIX}_{run_id}", "s", params={}, pull_output=lambda *_: None)


def _step_definition(datastore, data: Path, tmp_path: Path) -> dict:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "use.py").write_text(SCRIPT)
    rows = Dataset.Tabular.from_delimited_files((datastore, f"{data.name}/*.csv")).as_named_input(
        "rows"
    )
    raw = Dataset.File.from_files((datastore, data.name)).as_named_input("raw").as_download()
    out = PipelineData("out", datastore=datastore)
    step = PythonScriptStep(
        name="s",
        script_name="use.py",
        source_directory=str(tmp_path / "src"),
        arguments=["--rows", rows, "--raw", raw, "--out", out],
        inputs=[rows, raw],
        outputs=[out],
    )
    return plan_pipeline(Pipeline(Workspace.current(), [step])).tasks[0].definition


def _seen(datastore, result) -> dict:
    ref = result.outputs["out"]
    return json.loads((datastore.root / ref.path / "seen.json").read_text())


def test_script_reads_named_datasets_and_reuse_sees_changed_files(store, tmp_path):
    datastore, data = store
    definition = _step_definition(datastore, data, tmp_path)
    first = run_python_script_step(definition, _ctx("manual__1"))
    assert first.reused is None
    assert _seen(datastore, first) == {
        "rows": 6,
        "total": 66,
        "raw_is_input": True,
        "raw_files": ["day1.csv", "day2.csv", "day3.csv"],
        "rows_arg": "rows",
    }

    again = run_python_script_step(definition, _ctx("manual__2"))
    assert again.reused is not None and again.reused.run_id == f"{RUN_PREFIX}_manual__1"

    (data / "day3.csv").write_text("region,amount\nnorth,3\nsouth,300\n")
    changed = run_python_script_step(definition, _ctx("manual__3"))
    assert changed.reused is None
    assert _seen(datastore, changed)["total"] == 336


def test_a_dataset_matching_no_files_fails_before_the_script_runs(store, tmp_path):
    datastore, data = store
    definition = _step_definition(datastore, data, tmp_path)
    for file in data.iterdir():
        file.unlink()
    with pytest.raises(StepRunError, match=r"dataset input 'rows'.*matched no files"):
        run_python_script_step(definition, _ctx("manual__9"))


def test_sql_step_sees_a_tabular_dataset_as_a_view(store, tmp_path):
    datastore, data = store
    (tmp_path / "q.sql").write_text(
        "CREATE TABLE totals AS SELECT region, SUM(amount) AS amount FROM sales GROUP BY region;"
    )
    sales = Dataset.Tabular.from_delimited_files((datastore, f"{data.name}/*.csv"))
    totals = PipelineData("totals", datastore=datastore)
    step = AdlaStep(
        script_name="q.sql",
        name="agg",
        source_directory=str(tmp_path),
        inputs=[sales.as_named_input("sales")],
        outputs=[totals],
    )
    definition = plan_pipeline(Pipeline(Workspace.current(), [step])).tasks[0].definition
    result = run_analytics_step(definition, _ctx("manual__1"))
    import duckdb

    folder = datastore.root / result.outputs["totals"].path
    rows = duckdb.sql(f"SELECT * FROM read_parquet('{folder}/*.parquet') ORDER BY region")
    assert rows.fetchall() == [("north", 6), ("south", 60)]


def test_a_dataset_without_a_name_is_refused_at_definition(store, tmp_path):
    datastore, data = store
    sales = Dataset.Tabular.from_delimited_files((datastore, f"{data.name}/*.csv"))
    step = PythonScriptStep(
        name="s", script_name="use.py", source_directory=str(tmp_path), inputs=[sales]
    )
    with pytest.raises(PipelineValidationError, match="as_named_input"):
        Pipeline(Workspace.current(), [step]).validate()


def test_a_dataset_on_a_registered_local_folder_reaches_the_script(tmp_path):
    ws = Workspace.current()
    folder = tmp_path / "lake"
    (folder / "sales").mkdir(parents=True)
    (folder / "sales" / "a.csv").write_text("region,amount\nnorth,5\n")
    lake = Datastore.register_local_folder(ws, "lake", str(folder))
    rows = Dataset.Tabular.from_delimited_files((lake, "sales/*.csv")).as_named_input("rows")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "use.py").write_text(
        "import os, sys\nfrom mlpipelines import Run\n"
        "frame = Run.get_context().input_datasets['rows'].to_pandas_dataframe()\n"
        "open(os.path.join(sys.argv[1], 'total.txt'), 'w').write(str(frame['amount'].sum()))\n"
    )
    out = PipelineData("out", datastore=ws.get_default_datastore())
    step = PythonScriptStep(
        name="s",
        script_name="use.py",
        source_directory=str(tmp_path / "src"),
        arguments=[out],
        inputs=[rows],
        outputs=[out],
    )
    definition = plan_pipeline(Pipeline(ws, [step])).tasks[0].definition
    assert definition.inputs[0].to_json()["stores"] == {
        "lake": {"name": "lake", "kind": "local", "path": str(folder)}
    }
    result = run_python_script_step(definition, _ctx("lake_1"))
    written = Workspace.current().get_default_datastore().root / result.outputs["out"].path
    assert (written / "total.txt").read_text() == "5"
