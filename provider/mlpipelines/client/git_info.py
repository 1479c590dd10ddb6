"""Where submitted code came from: repository, branch, commit, and whether the tree was dirty."""

from __future__ import annotations

import subprocess
from typing import Any


def _git(folder: str, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", folder, *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_info(folders: list[str]) -> dict[str, Any] | None:
    """Git facts of the first folder that is inside a repository, or None."""
    for folder in folders:
        top = _git(folder, "rev-parse", "--show-toplevel")
        if top is None:
            continue
        return {
            "repository": _git(top, "config", "--get", "remote.origin.url") or top,
            "branch": _git(top, "rev-parse", "--abbrev-ref", "HEAD"),
            "commit": _git(top, "rev-parse", "HEAD"),
            "dirty": bool(_git(top, "status", "--porcelain")),
        }
    return None


def git_note(info: dict[str, Any] | None) -> str | None:
    """The run note that records ``info``."""
    if not info:
        return None
    dirty = " (dirty)" if info["dirty"] else ""
    return f"git {info['repository']} {info['branch']}@{info['commit']}{dirty}"
