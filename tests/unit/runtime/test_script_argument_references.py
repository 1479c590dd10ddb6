"""A PythonScriptStep argument built with an f-string around data (``f"--out={data}"``, which
reads ``$AZUREML_DATAREFERENCE_<name>``) or naming ``$AML_PARAMETER_<name>`` gets the path or
value, as Azure ML's shell gave it; a word that only looks like a reference stays as written."""

from __future__ import annotations

import json
import uuid

from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData, PipelineParameter
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.runtime.python_script import run_python_script_step
from mlpipelines.runtime.step_context import StepContext

SCRIPT = """import json, os, sys
args = dict(a.split("=", 1) for a in sys.argv[1:])
os.makedirs(args["--out"], exist_ok=True)
json.dump(args, open(os.path.join(args["--out"], "args.json"), "w"))
"""


def test_references_in_script_arguments_expand_to_paths_and_values(tmp_path):
    ws = Workspace.current()
    (tmp_path / "show.py").write_text(SCRIPT)
    out = PipelineData("out", datastore=ws.get_default_datastore())
    alpha = PipelineParameter("alpha", default_value="0.5; rm -rf /")
    step = PythonScriptStep(
        name="show",
        script_name="show.py",
        source_directory=str(tmp_path),
        arguments=[f"--out={out}", "--alpha=$AML_PARAMETER_alpha", "--cost=$AML_PARAMETER_cost"],
        outputs=[out],
        params={"alpha": alpha},
    )
    assert str(out) == "$AZUREML_DATAREFERENCE_out"
    definition = plan_pipeline(Pipeline(ws, [step])).tasks[0].definition
    ctx = StepContext(
        "refs", f"r{uuid.uuid4().hex[:6]}", "show", {"alpha": "1 | 2"}, pull_output=lambda *_: None
    )
    result = run_python_script_step(definition, ctx)
    # The script wrote into its --out: found in the step's output, so --out was its path.
    folder = ws.get_default_datastore().root / result.outputs["out"].path
    seen = json.loads((folder / "args.json").read_text())
    assert seen["--alpha"] == "1 | 2"  # the run's value, byte for byte, no shell
    assert seen["--cost"] == "$AML_PARAMETER_cost"  # not a param of this step: as written
    assert (
        seen["--out"].endswith(result.outputs["out"].path.split("/")[-1]) or "out" in seen["--out"]
    )
