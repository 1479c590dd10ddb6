"""``mlpipelines validate``: load pipeline DAG files as Airflow would and report every problem
of each pipeline, without a traceback."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path

from mlpipelines.errors import PipelineValidationError


def validate_file(path: Path) -> tuple[bool, str]:
    """Load one DAG file; (True, what it defines) or (False, what is wrong with it)."""
    name = f"mlpipelines_validate_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return False, f"{path}: not a Python file"
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except PipelineValidationError as exc:
        return False, f"{path}: {exc}"
    except Exception as exc:  # any import failure is the user's to see, without traceback
        return False, f"{path}: {type(exc).__name__}: {exc}"
    finally:
        sys.modules.pop(name, None)
    from airflow.sdk import DAG

    dags = [value for value in vars(module).values() if isinstance(value, DAG)]
    if not dags:
        return True, f"{path}: ok, but it defines no DAG at module level"
    listed = ", ".join(f"{d.dag_id} ({len(d.tasks)} tasks)" for d in dags)
    return True, f"{path}: ok: {listed}"


def validate_files(paths: list[Path]) -> int:
    """Validate each file; print one report per file; exit code 1 if any is invalid."""
    failed = 0
    for path in paths:
        ok, report = validate_file(path)
        print(report, file=sys.stdout if ok else sys.stderr)
        failed += not ok
    return 1 if failed else 0
