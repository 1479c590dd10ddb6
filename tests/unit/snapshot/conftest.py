"""Both ways the walk reads a folder: the C accelerator and the pure-Python fallback."""

from __future__ import annotations

import pytest

from mlpipelines.snapshot import walk


@pytest.fixture(params=["native", "python"])
def walk_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test once with `mlpipelines_native` reading folders, once without
    (`MLPIPELINES_NATIVE=0`); the native run is skipped where the module is not built, and
    `test_native_walk.py` fails in the dev venv then."""
    if request.param == "native":
        if walk._native_scan is None:
            pytest.skip("mlpipelines_native is not installed")
        monkeypatch.delenv("MLPIPELINES_NATIVE", raising=False)
    else:
        monkeypatch.setenv("MLPIPELINES_NATIVE", "0")
    assert walk.native_walk() is (request.param == "native")
    return str(request.param)
