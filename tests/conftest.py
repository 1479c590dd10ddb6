"""Test-wide settings: every test session gets its own Airflow home, set before Airflow loads."""

from __future__ import annotations

import os
import tempfile

# Airflow reads AIRFLOW_HOME when first imported; tests must never touch ~/airflow.
_HOME = tempfile.mkdtemp(prefix="mlpipelines-tests-home-")
os.environ["AIRFLOW_HOME"] = _HOME
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ.pop("MLPIPELINES_DEFAULT_DATASTORE", None)

# Real storage servers (Azurite, moto's S3, Samba), each started once per session on first use;
# a headless Chromium (Debian's) for the browser tests.
from support.browser import browser, chromium  # noqa: E402
from support.sql_servers import postgres  # noqa: E402
from support.storage_fixtures import azurite, moto_s3, samba  # noqa: E402

__all__ = ["azurite", "browser", "chromium", "moto_s3", "postgres", "samba"]
