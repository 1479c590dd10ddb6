"""A snapshot's listing as it travels: checks on file digests, relative paths and
``"<algorithm>:<hex>"`` names, for listings that come from outside (a client, a datastore).

A listing maps each posix relative path to the hex digest of that file's content, exactly
``Snapshot.files``; these checks make sure none of it can name a place outside a folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.snapshot.algorithm import ALGORITHM

_HEX = re.compile(r"[0-9a-f]{64}")
"""blake3 and sha256 both give 32 bytes: 64 lowercase hex digits."""
MAX_PATH_CHARS = 4096


class ListingError(UserErrorException, ValueError):
    """A listing, a digest or a path in it is malformed; the message names which."""


def check_hex(value: Any, what: str = "digest") -> str:
    """``value`` when it is a file digest of ``ALGORITHM`` (64 lowercase hex digits)."""
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise ListingError(f"{what} {str(value)[:80]!r} is not 64 lowercase hex digits")
    return value


def parse_digest(value: str) -> tuple[str, str]:
    """``(algorithm, hex)`` of a ``"<algorithm>:<hex>"`` snapshot digest of this host's
    algorithm; another algorithm is refused, since this host could not check it."""
    algorithm, sep, hex_digest = value.partition(":")
    if not sep:
        raise ListingError(f"snapshot digest {value[:80]!r} is not '<algorithm>:<hex>'")
    check_algorithm(algorithm)
    return algorithm, check_hex(hex_digest, "snapshot digest")


def check_algorithm(algorithm: Any) -> str:
    """``algorithm`` when it is this host's digest algorithm."""
    if algorithm != ALGORITHM:
        raise ListingError(
            f"digest algorithm {str(algorithm)[:40]!r} is not this host's ({ALGORITHM}): the "
            "blake3 package must be installed on both sides, or on neither"
        )
    return algorithm


def check_path(path: Any) -> str:
    """``path`` when it is a posix path relative to a folder that stays inside it: no
    ``..``, ``.`` or empty part, not absolute, no backslash or NUL."""
    if not isinstance(path, str) or not path:
        raise ListingError(f"file path {path!r} must be a non-empty string")
    shown = path[:120]
    if len(path) > MAX_PATH_CHARS:
        raise ListingError(f"file path {shown!r}... is longer than {MAX_PATH_CHARS} characters")
    if "\x00" in path or "\\" in path:
        raise ListingError(f"file path {shown!r} holds a NUL or a backslash")
    if path.startswith("/"):
        raise ListingError(f"file path {shown!r} is absolute; give it relative to the folder")
    if any(part in ("", ".", "..") for part in path.split("/")):
        raise ListingError(f"file path {shown!r} has an empty, '.' or '..' part")
    return path


def check_files(files: Any, max_files: int | None = None) -> dict[str, str]:
    """A listing from outside, checked: a JSON object of relative paths to hex digests,
    where no path is also a folder of another (the folder could not be built)."""
    if not isinstance(files, Mapping):
        raise ListingError("'files' must be a JSON object mapping relative paths to digests")
    if max_files is not None and len(files) > max_files:
        raise ListingError(f"{len(files)} files is more than {max_files}")
    checked = {
        check_path(path): check_hex(digest, f"digest of {path!r}") for path, digest in files.items()
    }
    folders = {path.rsplit("/", 1)[0] for path in checked if "/" in path}
    parents: set[str] = set()
    for folder in folders:
        parts = folder.split("/")
        parents.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    clash = sorted(parents & checked.keys())
    if clash:
        raise ListingError(f"{clash[0]!r} is listed as a file and as a folder")
    return dict(sorted(checked.items()))
