"""How much the API server takes in snapshot uploads: environment variables it reads when
a request comes, each named in the 413 answer that a request over it gets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from mlpipelines.storage.upload_staging import UPLOAD_CHUNK_BYTES

GIB = 1 << 30
MAX_FILE_VARIABLE = "MLPIPELINES_MAX_UPLOAD_FILE_BYTES"
MAX_SNAPSHOT_VARIABLE = "MLPIPELINES_MAX_SNAPSHOT_BYTES"
MAX_FILES_VARIABLE = "MLPIPELINES_MAX_SNAPSHOT_FILES"


class LimitExceeded(Exception):
    """A request asks for more than a limit allows; the message names the limit and the
    setting that raises it."""


@dataclass(frozen=True)
class UploadLimits:
    """Per file, per snapshot (bytes and files) and per request (one chunk)."""

    max_file_bytes: int = 2 * GIB
    max_snapshot_bytes: int = 10 * GIB
    max_snapshot_files: int = 100_000
    chunk_bytes: int = UPLOAD_CHUNK_BYTES

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> UploadLimits:
        """The limits the API server's environment sets, else the defaults."""
        env = os.environ if env is None else env
        default = cls()
        return cls(
            max_file_bytes=_number(env, MAX_FILE_VARIABLE, default.max_file_bytes),
            max_snapshot_bytes=_number(env, MAX_SNAPSHOT_VARIABLE, default.max_snapshot_bytes),
            max_snapshot_files=_number(env, MAX_FILES_VARIABLE, default.max_snapshot_files),
        )

    def check_file(self, size: int) -> None:
        """Refuse a file bigger than ``max_file_bytes``."""
        _check(size, self.max_file_bytes, "a file of", "per file", MAX_FILE_VARIABLE)

    def check_snapshot(self, total_bytes: int) -> None:
        """Refuse a snapshot bigger than ``max_snapshot_bytes``."""
        _check(
            total_bytes,
            self.max_snapshot_bytes,
            "a snapshot of",
            "per snapshot",
            MAX_SNAPSHOT_VARIABLE,
        )

    def check_files(self, count: int) -> None:
        """Refuse a snapshot of more than ``max_snapshot_files`` files."""
        if count > self.max_snapshot_files:
            raise LimitExceeded(
                f"a snapshot of {count} files is more than the {self.max_snapshot_files} files "
                f"this server takes; raise {MAX_FILES_VARIABLE} in the API server's environment"
            )

    def check_chunk(self, size: int) -> None:
        """Refuse a request body bigger than one chunk (fixed: the client sends at most it)."""
        if size > self.chunk_bytes:
            raise LimitExceeded(
                f"a chunk of {size} bytes is more than the {self.chunk_bytes} bytes one request "
                "may carry; send the file in chunks of at most that"
            )


def _check(size: int, limit: int, what: str, per: str, variable: str) -> None:
    if size > limit:
        raise LimitExceeded(
            f"{what} {size} bytes is more than the {_shown(limit)} this server takes {per}; "
            f"raise {variable} in the API server's environment"
        )


def _shown(size: int) -> str:
    if size >= GIB and size % GIB == 0:
        return f"{size // GIB} GiB ({size} bytes)"
    return f"{size} bytes"


def _number(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value <= 0:
        raise ValueError(f"{name}={raw!r} must be a positive whole number of bytes or files")
    return value
