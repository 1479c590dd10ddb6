"""The environment a step's script starts from: the worker's, through an allow-list.

A task's own environment holds Airflow's secrets (the JWT secret that mints admin tokens, the
Fernet key that decrypts connections, the database URL); a script that inherited them could
act as Airflow. So a script gets the names a program needs to find its tools, libraries,
locale, temp folder, proxies and accelerators, plus what the worker's
``MLPIPELINES_SCRIPT_ENV_PASS`` adds; never an Airflow setting, connection or variable.
The step's own ``environment_variables`` and the run's names are set on top by the runner.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

PASS_VARIABLE = "MLPIPELINES_SCRIPT_ENV_PASS"
PASSED_NAMES = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TERM",
        "TMPDIR", "TEMP", "TMP", "AIRFLOW_HOME",
        "PYTHONPATH", "PYTHONHASHSEED", "PYTHONIOENCODING", "PYTHONUTF8",
        "PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV", "LD_LIBRARY_PATH",
        "JAVA_HOME", "SPARK_HOME", "HADOOP_HOME", "HADOOP_CONF_DIR",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
        "OMP_NUM_THREADS", "DISPLAY",
    }
)  # fmt: skip
PASSED_PREFIXES = (
    "LC_", "CONDA_", "CUDA_", "NVIDIA_", "MKL_", "OPENBLAS_", "NUMBA_", "PYSPARK_",
    "HF_", "TRANSFORMERS_", "TORCH_", "TF_", "XDG_",
)  # fmt: skip
# Never passed, whatever the allow-list says: Airflow's settings, connections and
# variables, and the client's credentials.
NEVER_PREFIXES = ("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_", "MLPIPELINES_AIRFLOW_")


def script_base_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The part of ``environ`` (this process's by default) a step's script may see."""
    environ = os.environ if environ is None else environ
    extra_names, extra_prefixes = _extra(environ.get(PASS_VARIABLE, ""))
    return {
        name: value
        for name, value in environ.items()
        if not name.startswith(NEVER_PREFIXES)
        and (
            name in PASSED_NAMES
            or name in extra_names
            or name.startswith(PASSED_PREFIXES)
            or (extra_prefixes and name.startswith(extra_prefixes))
        )
    }


def _extra(setting: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """``A,B,PREFIX_*``: names, and prefixes written with a trailing ``*``."""
    words = [word.strip() for word in setting.split(",") if word.strip()]
    names = frozenset(word for word in words if not word.endswith("*"))
    prefixes = tuple(word[:-1] for word in words if word.endswith("*") and len(word) > 1)
    return names, prefixes
