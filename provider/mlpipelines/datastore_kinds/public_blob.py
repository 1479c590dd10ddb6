"""A public blob container registered without a key: read anonymously, never written.

Azure answers an anonymous write with a bare 404 or 401; this filesystem refuses every write
first with an error that says why and how to register the container to write to it.
"""

from __future__ import annotations

import functools
from typing import Any

# Both the coroutines and their sync twins: adlfs binds some twins at class level.
WRITES = (
    "_pipe_file", "_pipe", "_put_file", "_put", "_cp_file", "_rm", "_rm_file", "_rm_files",
    "_mkdir", "_makedirs", "_rmdir", "_setxattrs", "_mv", "_mv_file", "upload",
)  # fmt: skip
MESSAGE = (
    "it is a public container registered without account_key or sas_token, so it can be "
    "read anonymously but not written; register it with account_key= or sas_token= to write"
)


class AnonymousWriteError(PermissionError):
    """A write to a container that was registered for anonymous reading."""


@functools.cache
def read_only_blob_filesystem() -> type[Any]:
    """adlfs's filesystem with every write refused (adlfs imported on first use)."""
    from adlfs import AzureBlobFileSystem

    def refuse(name: str) -> Any:
        async def coroutine(self: Any, *args: Any, **kwargs: Any) -> Any:
            raise AnonymousWriteError(MESSAGE)

        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            raise AnonymousWriteError(MESSAGE)

        chosen = coroutine if name.startswith("_") else method
        chosen.__name__ = name
        return chosen

    def _open(self: Any, path: str, mode: str = "rb", *args: Any, **kwargs: Any) -> Any:
        if any(flag in mode for flag in "wax+"):
            raise AnonymousWriteError(MESSAGE)
        return AzureBlobFileSystem._open(self, path, mode, *args, **kwargs)

    members = {name: refuse(name) for name in WRITES}
    members.update({name[1:]: refuse(name[1:]) for name in WRITES if name.startswith("_")})
    return type("PublicBlobFileSystem", (AzureBlobFileSystem,), {**members, "_open": _open})
