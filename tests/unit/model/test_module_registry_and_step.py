"""Modules as the ModuleStep sample uses them: ``Module.create``, ``publish_python_script``
with ports and versions, ``resolve``/``get``/default versions, and ``ModuleStep`` resolved
into a script step whose source is the version's stored snapshot; malformed use refused
where the pipeline is defined, naming the step."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from mlpipelines.azureml.core import RunConfiguration, Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData, PipelineParameter
from mlpipelines.azureml.pipeline.core.graph import InputPortDef, OutputPortDef
from mlpipelines.azureml.pipeline.core.module import Module, ModuleVersion
from mlpipelines.azureml.pipeline.steps import ModuleStep
from mlpipelines.errors import UserErrorException
from mlpipelines.records import ArgumentToken, PipelineDataInput

CALCULATE = "import sys\nprint('VERSION', sys.argv[1:])\n"


@pytest.fixture
def ws(tmp_path):
    return Workspace(home=str(tmp_path / "home"))


@pytest.fixture
def calc(tmp_path):
    folder = tmp_path / "calc"
    folder.mkdir()
    (folder / "calculate.py").write_text(CALCULATE.replace("VERSION", "one"))
    return folder


def _outputs(datastore):
    return [
        OutputPortDef(name="out_sum", default_datastore_name=datastore.name),
        OutputPortDef(name="out_prod", default_datastore_name=datastore.name),
    ]


def _inputs(datastore):
    return [
        InputPortDef(
            name="in1", default_datastore_mode="mount", default_data_reference_name=datastore.name
        ),
        InputPortDef(
            name="in2",
            default_datastore_mode="download",
            default_data_reference_name=datastore.name,
        ),
    ]


def _publish_both(ws, calc):
    """The sample's two versions: "1" (outputs only), "2" (inputs too; the default)."""
    datastore = ws.get_default_datastore()
    module = Module.create(ws, name="AddAndMultiply", description="adds and multiplies")
    entry = module.publish_python_script(
        "calculate.py",
        "initial",
        inputs=[],
        outputs=_outputs(datastore),
        params={"initialNum": 12},
        version="1",
        source_directory=str(calc),
    )
    module.publish_python_script(
        "calculate.py",
        "middle",
        inputs=_inputs(datastore),
        outputs=_outputs(datastore),
        version="2",
        is_default=True,
        source_directory=str(calc),
    )
    return module, entry


def test_versions_default_resolution_and_lookups(ws, calc):
    module, entry = _publish_both(ws, calc)
    assert [(d.version, d.module_version_id) for d in module.module_version_list()] == [
        ("1", entry.module_version_id),
        ("2", module.resolve("2").module_version_id),
    ]
    assert module.get_default_version() == "2"
    assert module.resolve().version == "2"
    assert module.resolve("1").interface == {
        "inputs": [],
        "outputs": ["out_sum", "out_prod"],
        "parameters": {"initialNum": 12},
    }
    again = Module.get(ws, name="AddAndMultiply")
    assert again.id == module.id and Module.get(ws, module_id=module.id).name == "AddAndMultiply"
    assert Module.create(ws, "AddAndMultiply", "again").id == module.id  # a notebook run again
    found = ModuleVersion.get(ws, module_version_id=entry.module_version_id)
    assert (found.version, found.module().name) == ("1", "AddAndMultiply")
    module.set_default_version("1")
    assert module.resolve().version == "1"
    assert ModuleVersion.get(ws, module_id=module.id, version="2").version == "2"

    with pytest.raises(
        UserErrorException, match=r"module 'AddAndMultiply' has no version '3'; versions: 1, 2"
    ):
        module.resolve("3")
    with pytest.raises(
        UserErrorException, match=r"no module named 'Subtract' \(modules: AddAndMultiply\)"
    ):
        Module.get(ws, name="Subtract")


def test_without_a_default_the_highest_semantic_version_runs_and_numbers_follow(ws, calc):
    module = Module.create(ws, "scorer")
    for version in ("1.2.0", "1.10.0", "1.9.3"):
        module.publish_python_script(
            "calculate.py", version, [], [], version=version, source_directory=str(calc)
        )
    assert module.resolve().version == "1.10.0"
    module.resolve("1.10.0").disable()
    assert module.resolve().version == "1.9.3"
    counted = Module.create(ws, "counted")
    first = counted.publish_python_script("calculate.py", "a", [], [], source_directory=str(calc))
    (calc / "calculate.py").write_text(CALCULATE.replace("VERSION", "two"))
    second = counted.publish_python_script("calculate.py", "b", [], [], source_directory=str(calc))
    assert (first.version, second.version) == ("1", "2")


def test_a_version_never_changes(ws, calc):
    module, entry = _publish_both(ws, calc)
    same = module.publish_python_script(
        "calculate.py",
        "initial",
        inputs=[],
        outputs=_outputs(ws.get_default_datastore()),
        params={"initialNum": 12},
        version="1",
        source_directory=str(calc),
    )
    assert same.module_version_id == entry.module_version_id
    (calc / "calculate.py").write_text(CALCULATE.replace("VERSION", "changed"))
    with pytest.raises(
        UserErrorException, match=r"already has a different version '1'.*as version '3'"
    ):
        module.publish_python_script(
            "calculate.py", "x", [], [], version="1", source_directory=str(calc)
        )
    with pytest.raises(
        UserErrorException, match=r"script 'missing\.py' is not in source_directory"
    ):
        module.publish_python_script(
            "missing.py", "x", [], [], version="9", source_directory=str(calc)
        )
    with pytest.raises(UserErrorException, match="port names must be unique; repeated: a"):
        module.publish_python_script(
            "calculate.py",
            "x",
            [InputPortDef("a")],
            [OutputPortDef("a")],
            source_directory=str(calc),
        )
    with pytest.raises(UserErrorException, match="mode 'copy' is not one of"):
        InputPortDef("a", default_datastore_mode="copy")

    # The stored snapshot is what version 1 runs, whatever the folder holds now.
    step = ModuleStep(
        module=module,
        version="1",
        outputs_map={"out_sum": PipelineData("s"), "out_prod": PipelineData("p")},
    )
    definition = Pipeline(ws, [step]).plan().tasks[0].definition
    ref = definition.source_ref
    stored = ws.get_default_datastore().location.path(ref.path)
    assert "one" in Path(stored, "calculate.py").read_text()


def test_module_steps_plan_as_script_steps_on_the_stored_snapshot(ws, calc):
    module, entry = _publish_both(ws, calc)
    datastore = ws.get_default_datastore()
    first_sum = PipelineData("sum_out", datastore=datastore, is_directory=False)
    first_prod = PipelineData("prod_out", datastore=datastore, is_directory=False)
    middle_sum = PipelineData("middle_sum", datastore=datastore)
    middle_prod = PipelineData("middle_prod", datastore=datastore)
    num = PipelineParameter(name="initialNum", default_value=17)
    runconfig = RunConfiguration()
    runconfig.environment.environment_variables = {"CALC_MODE": "strict"}
    first = ModuleStep(
        module_version=entry,
        inputs_map={},
        outputs_map={"out_sum": first_sum, "out_prod": first_prod},
        arguments=[
            "--output_sum",
            first_sum,
            "--output_product",
            first_prod,
            "--arg_num1",
            num,
            "--arg_num2",
            "2",
        ],
    )
    middle = ModuleStep(
        module=module,
        inputs_map={"in1": first_sum, "in2": first_prod},
        outputs_map={"out_sum": middle_sum, "out_prod": middle_prod},
        arguments=[
            "--file_num1",
            first_sum,
            "--file_num2",
            first_prod,
            "--output_sum",
            middle_sum,
            "--output_product",
            middle_prod,
        ],
        params={},
        runconfig=runconfig,
    )
    plan = Pipeline(workspace=ws, steps=[middle]).plan("modules")
    by_name = {t.definition.name: t for t in plan.tasks}
    assert list(by_name) == ["AddAndMultiply_sum_out", "AddAndMultiply_middle_sum"]
    assert first.name == "AddAndMultiply_sum_out"
    one, two = (by_name[n].definition for n in by_name)
    assert {one.kind, two.kind} == {"python_script"}
    assert one.script_name == "calculate.py" and one.source_directory is None
    assert one.source_ref is not None and one.source_ref.store.name == "workspaceblobstore"
    assert one.source_ref.path == two.source_ref.path  # one folder, one content-addressed copy
    assert one.params == {"initialNum": ArgumentToken("value", "12")}
    assert (one.environment_variables, two.environment_variables) == ({}, {"CALC_MODE": "strict"})
    assert ArgumentToken("parameter", "initialNum") in one.arguments
    assert [
        (i.name, i.mode, i.producer) for i in two.inputs if isinstance(i, PipelineDataInput)
    ] == [
        ("in1", "mount", by_name["AddAndMultiply_sum_out"].task_id),
        ("in2", "download", by_name["AddAndMultiply_sum_out"].task_id),
    ]
    assert two.arguments[:2] == (
        ArgumentToken("value", "--file_num1"),
        ArgumentToken("input", "in1"),
    )
    assert ArgumentToken("output", "middle_sum") in two.arguments
    assert by_name["AddAndMultiply_middle_sum"].upstream == (
        by_name["AddAndMultiply_sum_out"].task_id,
    )
    assert (
        f"in `workspaceblobstore/{one.source_ref.path}`" in by_name["AddAndMultiply_sum_out"].doc_md
    )


def test_malformed_module_steps_are_refused_naming_the_step(ws, calc):
    module, _entry = _publish_both(ws, calc)
    data = PipelineData("d")
    with pytest.raises(
        UserErrorException,
        match=r"ModuleStep 'late': module 'AddAndMultiply' has no version '3'; versions: 1, 2",
    ):
        ModuleStep(module=module, version="3", name="late")
    with pytest.raises(UserErrorException, match="needs module="):
        ModuleStep(module="AddAndMultiply")
    with pytest.raises(UserErrorException) as refused:
        ModuleStep(
            module=module,
            version="2",
            name="mid",
            inputs_map={"in1": data, "in3": data},
            outputs_map={"out_sum": PipelineData("o")},
            params={"depth": 3},
        )
    message = str(refused.value)
    assert message.startswith("ModuleStep 'mid' (module 'AddAndMultiply' version '2'): ")
    assert (
        "inputs_map names port 'in3', which the version does not have (inputs: in1, in2)" in message
    )
    assert "input port 'in2' is not bound (add it to inputs_map)" in message
    assert "output port 'out_prod' is not bound" in message
    assert "params names 'depth', which the version does not declare (parameters: none)" in message

    outputs = {"out_sum": PipelineData("a"), "out_prod": PipelineData("b")}
    module.resolve("1").deprecate()
    with pytest.warns(UserWarning, match="version '1' is deprecated"):
        ModuleStep(module=module, version="1", outputs_map=outputs)
    module.resolve("1").disable()
    with pytest.raises(UserErrorException, match="version '1' is disabled"):
        ModuleStep(module=module, version="1", outputs_map=outputs)
    module.resolve("1").enable()
    module.disable()
    with pytest.raises(UserErrorException, match="module 'AddAndMultiply' is disabled; enable"):
        ModuleStep(module=module, version="1", outputs_map=outputs)
    module.enable()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (
            ModuleStep(module=module, version="1", outputs_map=outputs).name == "AddAndMultiply_a"
        )


def test_old_paths_reexport_the_same_objects():
    import mlpipelines
    from mlpipelines.azureml.pipeline import core, steps
    from mlpipelines.azureml.pipeline.core import graph, module
    from mlpipelines.azureml.pipeline.steps import module_step

    assert module.Module is core.Module is mlpipelines.Module
    assert module.ModuleVersion is core.ModuleVersion is mlpipelines.ModuleVersion
    assert module.ModuleVersionDescriptor is core.ModuleVersionDescriptor
    assert graph.InputPortDef is core.InputPortDef is mlpipelines.InputPortDef
    assert graph.OutputPortDef is core.OutputPortDef is mlpipelines.OutputPortDef
    assert module_step.ModuleStep is steps.ModuleStep is mlpipelines.ModuleStep
