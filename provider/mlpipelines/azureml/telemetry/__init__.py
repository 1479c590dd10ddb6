"""``azureml.telemetry``: the old SDK's switch for sending usage diagnostics to Microsoft, which
many sample notebooks call first. mlpipelines sends no diagnostics anywhere: the switch is
accepted and changes nothing."""

from __future__ import annotations

from typing import Any


def set_diagnostics_collection(send_diagnostics: bool = True, **_: Any) -> None:
    """Accepted as called; no diagnostics are collected or sent."""


__all__ = ["set_diagnostics_collection"]
