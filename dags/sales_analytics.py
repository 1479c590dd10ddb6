"""Airflow DAG `sales_analytics`: generate sales in Python, then total them per region in SQL.

`generate_sales` writes a sales CSV to intermediate data; `summarize` is an analytics step whose
SQL reads it as the view `sales` and fills the output `region_totals` (written as Parquet) from
the view of that name. Only sales of at least `min_amount` count; try
`mlpipelines trigger sales_analytics --param min_amount=25.0 --wait`.
"""

from mlpipelines import (
    AdlaStep,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PythonScriptStep,
    Workspace,
)

ws = Workspace.current()
datastore = ws.get_default_datastore()
source = "scripts/sales"

min_amount = PipelineParameter("min_amount", default_value=0.0)
sales = PipelineData("sales", datastore=datastore)
region_totals = PipelineData("region_totals", datastore=datastore)

generate = PythonScriptStep(
    name="generate_sales",
    script_name="generate.py",
    arguments=["--out", sales, "--rows", 2000],
    outputs=[sales],
    source_directory=source,
)
summarize = AdlaStep(
    name="summarize",
    script_name="summarize.sql",
    inputs=[sales],
    outputs=[region_totals],
    params={"min_amount": min_amount},
    source_directory=source,
)

pipeline = Pipeline(ws, steps=[summarize], description="Sales totals per region")
dag = pipeline.to_dag("sales_analytics", tags=["example"])
