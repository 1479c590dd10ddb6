"""`mlpipelines compute ...` as a user runs it against the real Airflow (auth on): a cluster
becomes a pool, Databricks a connection whose token never shows, the SQL engine a record,
and delete removes what was made."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest

pytestmark = pytest.mark.e2e

TOKEN = "dapi-cli-secret-0123456789"


def mlp(project, *args, expect=0, env=None):
    done = subprocess.run(
        [sys.executable, "-m", "mlpipelines.cli.main", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == expect, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def test_create_attach_list_show_delete(airflow, tmp_path):
    shutil.copy(airflow.home / "config.json", tmp_path / "config.json")
    suffix = uuid.uuid4().hex[:6]
    cluster, dbx, sql = f"cpu_{suffix}", f"dbx_{suffix}", f"sql_{suffix}"

    out = mlp(tmp_path, "compute", "create", cluster, "--max-nodes", "3", "--vm-size", "D2")
    assert f"compute target {cluster}: AmlCompute, 3 nodes, local" in out
    pool = airflow.api.call("GET", f"/api/v2/pools/{cluster}")
    assert pool["slots"] == 3

    out = mlp(
        tmp_path,
        "compute",
        "attach-databricks",
        dbx,
        "--host",
        "https://adb-1.azuredatabricks.net",
        expect=2,
        env={"DATABRICKS_TOKEN": ""},
    )
    assert "set the access token in the environment variable DATABRICKS_TOKEN" in out
    out = mlp(
        tmp_path,
        "compute",
        "attach-databricks",
        dbx,
        "--host",
        "https://adb-1.azuredatabricks.net",
        "--token-env",
        "MY_DBX_TOKEN",
        env={"MY_DBX_TOKEN": TOKEN},
    )
    assert f"compute target {dbx}: Databricks, adb-1.azuredatabricks.net" in out
    connection = airflow.api.call("GET", f"/api/v2/connections/{dbx}")
    assert connection["conn_type"] == "databricks"
    assert TOKEN not in json.dumps(connection)

    out = mlp(
        tmp_path,
        "compute",
        "attach-sql",
        sql,
        "--engine",
        "databricks_sql",
        "--databricks",
        dbx,
        "--warehouse-id",
        "wh-1",
    )
    assert f"Databricks SQL warehouse wh-1 via {dbx}" in out
    out = mlp(tmp_path, "compute", "attach-sql", "bad", "--engine", "databricks_sql", expect=2)
    assert "needs databricks_compute and warehouse_id" in out

    listed = mlp(tmp_path, "compute", "list")
    for name in ("local", cluster, dbx, sql):
        assert name in listed
    assert TOKEN not in listed
    shown = json.loads(mlp(tmp_path, "compute", "show", cluster))
    assert shown["type"] == "AmlCompute"
    assert shown["status"]["scaleSettings"] == {"minNodeCount": 0, "maxNodeCount": 3}

    assert f"compute target {cluster} deleted" in mlp(tmp_path, "compute", "delete", cluster)
    assert airflow.api.request("GET", f"/api/v2/pools/{cluster}").status_code == 404
    out = mlp(tmp_path, "compute", "show", cluster, expect=2)
    assert f"no compute target named '{cluster}'" in out
    mlp(tmp_path, "compute", "delete", dbx)
    assert airflow.api.request("GET", f"/api/v2/connections/{dbx}").status_code == 404
