"""Paths on a datastore: relative, POSIX, and never leaving the datastore."""

from __future__ import annotations

from pathlib import PurePosixPath

from mlpipelines.errors import UserErrorException


def clean_relative_path(path: str | None, what: str = "path_on_datastore") -> str:
    """A datastore-relative POSIX path; refuses paths that leave the datastore."""
    if path in (None, "", ".", "/"):
        return ""
    pure = PurePosixPath(str(path).replace("\\", "/"))
    parts = [p for p in pure.parts if p not in ("/", ".")]
    if ".." in parts:
        raise UserErrorException(f"{what} '{path}' leaves the datastore ('..' is not allowed)")
    return "/".join(parts)
