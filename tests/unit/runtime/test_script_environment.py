"""What a step's script inherits from its worker: the allow-list, the worker's additions,
and never an Airflow setting or credential."""

from __future__ import annotations

from mlpipelines.runtime.script_environment import script_base_environment

WORKER = {
    "PATH": "/usr/bin",
    "HOME": "/home/w",
    "LC_ALL": "C.UTF-8",
    "CUDA_VISIBLE_DEVICES": "0",
    "AIRFLOW_HOME": "/opt/airflow",
    "AIRFLOW__API_AUTH__JWT_SECRET": "jwt",
    "AIRFLOW__CORE__FERNET_KEY": "fernet",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql://u:p@db/airflow",
    "AIRFLOW_CONN_LAKE": '{"password": "x"}',
    "AIRFLOW_VAR_TOKEN": "t",
    "MLPIPELINES_AIRFLOW_PASSWORD": "pw",
    "WANDB_API_KEY": "w",
    "MY_SETTING": "1",
    "TEAM_A": "a",
}


def test_the_allow_list_passes_tools_and_drops_airflow():
    seen = script_base_environment(WORKER)
    assert seen == {
        "PATH": "/usr/bin",
        "HOME": "/home/w",
        "LC_ALL": "C.UTF-8",
        "CUDA_VISIBLE_DEVICES": "0",
        "AIRFLOW_HOME": "/opt/airflow",
    }


def test_the_worker_adds_names_and_prefixes_but_never_airflow_secrets():
    worker = {
        **WORKER,
        "MLPIPELINES_SCRIPT_ENV_PASS": "MY_SETTING, TEAM_*, AIRFLOW__*, AIRFLOW_CONN_LAKE, *",
    }
    seen = script_base_environment(worker)
    assert seen["MY_SETTING"] == "1" and seen["TEAM_A"] == "a"
    assert not [n for n in seen if n.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "MLPIPELINES_AIR"))]
    assert "WANDB_API_KEY" not in seen  # "*" alone is not a prefix
