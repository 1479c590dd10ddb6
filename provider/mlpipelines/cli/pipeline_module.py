"""A user's pipeline file, loaded as Airflow would load a DAG file, and the Pipeline in it."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

from mlpipelines.errors import UserErrorException


def load_module(path: Path) -> ModuleType:
    """Execute ``path`` as a fresh module (its folder first on sys.path, as for a script)."""
    if not path.is_file():
        raise UserErrorException(f"{path}: no such file")
    name = f"mlpipelines_user_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UserErrorException(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.resolve().parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.resolve().parent))
        sys.modules.pop(name, None)
    return module


def find_pipeline(path: Path, variable: str | None = None) -> Any:
    """The Pipeline named ``variable`` in the file, or its only Pipeline."""
    from mlpipelines.model.pipeline import Pipeline

    module = load_module(path)
    found = {k: v for k, v in vars(module).items() if isinstance(v, Pipeline)}
    if variable is not None:
        if variable not in found:
            raise UserErrorException(
                f"{path}: no Pipeline named '{variable}' (found: {', '.join(found) or 'none'})"
            )
        return found[variable]
    if len(found) != 1:
        raise UserErrorException(
            f"{path}: {len(found)} Pipelines at module level "
            f"({', '.join(found) or 'none'}); name one with --pipeline"
        )
    return next(iter(found.values()))
