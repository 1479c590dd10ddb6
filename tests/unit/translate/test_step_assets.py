"""Steps' datastore inputs and outputs as Airflow Assets: URIs per datastore kind, built at
parse time from the specs alone; a producer's outlet is its consumer's inlet."""

from __future__ import annotations

import os
from pathlib import Path

from airflow.sdk import DAG, Asset

from mlpipelines import (
    DataReference,
    Datastore,
    Pipeline,
    PipelineData,
    PythonScriptStep,
    Workspace,
)
from mlpipelines.records import (
    DataReferenceInput,
    DataReferenceOutput,
    DatasetInput,
    DatastoreSpec,
    PipelineDataInput,
    PipelineDataOutput,
    StepDefinition,
)
from mlpipelines.records.datastore import CONNECTION_KIND
from mlpipelines.translate.step_assets import StepAssets, new_asset, place_uri
from support.step_definitions import script_step

HOME = Path(os.environ["AIRFLOW_HOME"])


def _definition(name: str, inputs: tuple = (), outputs: tuple = ()) -> StepDefinition:
    return script_step(name, inputs=inputs, outputs=outputs)


def test_pipeline_data_is_one_asset_from_producer_to_consumer(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "s.py").write_text("print(1)\n")
    ws = Workspace.current()
    raw = DataReference(Datastore(ws, "workspaceblobstore"), "raw", "datasets/iris data")
    prepared = PipelineData("prepared")
    prep = PythonScriptStep(
        "s.py", name="prep", inputs=[raw], outputs=[prepared], source_directory=str(src)
    )
    train = PythonScriptStep("s.py", name="train", inputs=[prepared], source_directory=str(src))
    dag = Pipeline(ws, [prep, train]).to_dag("assets_demo")
    (outlet,) = dag.get_task("prep").outlets
    store = HOME / "mlpipelines" / "workspaceblobstore"
    assert outlet.name == "workspaceblobstore/pipelinedata/assets_demo/*/prep/prepared"
    assert outlet.uri == f"file://{store}/pipelinedata/assets_demo/*/prep/prepared"
    assert dag.get_task("train").inlets == [outlet]
    assert dag.get_task("train").inlets[0] is outlet
    (raw_asset,) = dag.get_task("prep").inlets
    assert raw_asset.uri == f"file://{store}/datasets/iris%20data"
    assert raw_asset.name == "workspaceblobstore/datasets/iris data"
    assert dag.get_task("train").outlets == []


def test_uris_per_datastore_kind(tmp_path: Path) -> None:
    folder = DatastoreSpec("shared", "local", str(tmp_path / "shared"))
    blob = DatastoreSpec("lake", "azure_blob")
    connection = DatastoreSpec("warehouse", CONNECTION_KIND)
    assert place_uri(folder, "a/b.csv") == f"file://{tmp_path}/shared/a/b.csv"
    assert place_uri(DatastoreSpec("workspacefilestore"), "x") == (
        f"file://{HOME}/mlpipelines/workspacefilestore/x"
    )
    # Where the place is in an Airflow connection (never read at parse time), the URI names
    # the datastore itself, not a container or bucket it cannot know.
    assert place_uri(blob, "raw/2024/*.parquet") == "x-mlpipelines://lake/raw/2024/*.parquet"
    assert place_uri(connection, "") == "x-mlpipelines://warehouse"
    for uri in (place_uri(folder, "a"), place_uri(blob, "b c/d")):
        assert Asset(name="n", uri=uri).uri == uri  # Airflow keeps them as they are


def test_fixed_places_destinations_and_datasets() -> None:
    blob = DatastoreSpec("lake", "azure_blob")
    writer = _definition(
        "writer",
        outputs=(
            DataReferenceOutput("report", blob, "reports/latest"),
            PipelineDataOutput("scored", blob, destination="scores/{run-id}/part"),
        ),
    )
    reader = _definition(
        "reader",
        inputs=(
            PipelineDataInput("scored", "scored", "writer"),
            DataReferenceInput("ref", DatastoreSpec("warehouse", CONNECTION_KIND), "t/"),
            DatasetInput(
                "iris",
                {
                    "dataset": {
                        "kind": "tabular",
                        "sources": [
                            {"datastore": "lake", "path": "iris.csv"},
                            {"url": "https://example.org/iris.csv"},
                        ],
                    }
                },
                stores={"lake": blob},
            ),
        ),
    )
    assets = StepAssets("d", {"writer": writer, "reader": reader})
    report, scored = assets.outlets(writer)
    assert report.uri == "x-mlpipelines://lake/reports/latest"
    assert scored.uri == "x-mlpipelines://lake/scores/*/part"
    inlets = assets.inlets(reader)
    assert inlets[0] is scored
    assert [a.uri for a in inlets[1:]] == [
        "x-mlpipelines://warehouse/t",
        "x-mlpipelines://lake/iris.csv",
        "https://example.org/iris.csv",
    ]


def test_a_task_group_names_its_host_dag_and_qualified_tasks(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "s.py").write_text("print(1)\n")
    out = PipelineData("out")
    step = PythonScriptStep("s.py", name="make", outputs=[out], source_directory=str(src))
    with DAG("host_dag", schedule=None) as dag:
        Pipeline(Workspace.current(), [step]).to_task_group("grp")
    (outlet,) = dag.get_task("grp.make").outlets
    assert outlet.name == "workspaceblobstore/pipelinedata/host_dag/*/grp.make/out"


def test_new_asset_is_what_airflow_builds() -> None:
    for name, uri in (("a/b", "file:///x/a/b"), ("s/p", "x-mlpipelines://s/p")):
        fast = new_asset(name, uri)
        assert fast == Asset(name=name, uri=uri)
        assert hash(fast) == hash(Asset(name=name, uri=uri))
        assert fast.extra == {} and fast.extra is not new_asset(name, uri).extra
