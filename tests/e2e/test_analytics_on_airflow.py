"""An analytics (SQL) step on a real Airflow: the sales_analytics example, run through REST."""

from __future__ import annotations

import pandas as pd
import pytest

pytestmark = pytest.mark.e2e


def test_sales_analytics_totals_regions_in_sql_with_a_parameter_from_conf(airflow):
    run, tis = airflow.run("sales_analytics", {"min_amount": 10.0})
    assert run["state"] == "success", tis
    assert {"generate_sales", "summarize"} <= set(tis)
    assert tis["summarize"]["state"] == "success"
    run_id = run["dag_run_id"]

    sales_dir = airflow.output_path("sales_analytics", run_id, "generate_sales", "sales")
    sales = pd.read_csv(sales_dir / "sales.csv")
    kept = sales[sales["amount"] >= 10.0]
    assert 0 < len(kept) < len(sales)
    expected = (
        kept.groupby("region")["amount"]
        .agg(orders="count", total_amount="sum", mean_amount="mean")
        .reset_index()
        .sort_values("region", ignore_index=True)
    )

    out_dir = airflow.output_path("sales_analytics", run_id, "summarize", "region_totals")
    got = pd.read_parquet(out_dir / "region_totals.parquet")
    got = got.sort_values("region", ignore_index=True)
    assert list(got.columns) == ["region", "orders", "total_amount", "mean_amount"]
    assert got["region"].tolist() == expected["region"].tolist()
    assert got["orders"].tolist() == expected["orders"].tolist()
    assert got["total_amount"].tolist() == pytest.approx(expected["total_amount"].tolist())
    assert got["mean_amount"].tolist() == pytest.approx(expected["mean_amount"].tolist())

    metrics = airflow.api.xcom("sales_analytics", run_id, "summarize", "metrics")
    assert metrics["rows_region_totals"] == len(expected)
    stdout = airflow.artifact("sales_analytics", run_id, "summarize", "stdout.txt")
    assert f"output region_totals: {len(expected)} rows" in stdout.read_text()
    task = airflow.api.call("GET", "/api/v2/dags/sales_analytics/tasks/summarize")
    assert "AdlaStep" in task["doc_md"] and "min_amount" in task["doc_md"]
