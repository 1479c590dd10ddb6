"""Real storage servers for the storage tests, started once per session."""

from __future__ import annotations

from support.storage_fixtures import azurite, moto_s3, samba

__all__ = ["azurite", "moto_s3", "samba"]
