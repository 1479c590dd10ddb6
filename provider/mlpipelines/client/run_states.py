"""A pipeline run's states as the Azure ML SDK names them, and which of them are final."""

from __future__ import annotations

TERMINAL = frozenset({"Finished", "Failed", "Canceled"})
