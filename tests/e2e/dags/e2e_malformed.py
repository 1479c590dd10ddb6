"""Airflow DAG file `e2e_malformed`: a pipeline with two mistakes, refused at parse time."""

from mlpipelines import Pipeline, PipelineData, PythonScriptStep, Workspace

ws = Workspace.current()
never_made = PipelineData("never_made", datastore=ws.get_default_datastore())
lonely = PythonScriptStep(
    name="lonely",
    script_name="echo_args.py",
    source_directory="scripts",
    arguments=["--out", never_made],
    inputs=[never_made],
)
ghost = PythonScriptStep(name="ghost", script_name="no_such_script.py", source_directory="scripts")
dag = Pipeline(ws, [lonely, ghost]).to_dag("e2e_malformed")
