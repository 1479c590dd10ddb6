"""Cheap fingerprints of files and folders on a datastore.

Remote stores are fingerprinted from what a listing already says (ETag, Content-MD5, size,
mtime), so nothing is downloaded; only local files are hashed by content.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import json
from typing import Any

from mlpipelines.storage.file_copy import is_partial
from mlpipelines.storage.location import StoreLocation


def fingerprint(location: StoreLocation, relative: str | None = "") -> str:
    """``"<algorithm>:<hex>"`` of a file or folder: content hash locally, metadata remotely."""
    if location.is_local:
        from mlpipelines.snapshot import tree_fingerprint

        return tree_fingerprint(location.path(relative))
    entries = [[rel, *_identity(info)] for rel, info in list_files(location, relative)]
    payload = json.dumps(entries, separators=(",", ":"), sort_keys=True).encode()
    return "meta-sha256:" + hashlib.sha256(payload).hexdigest()


def list_files(location: StoreLocation, relative: str | None = "") -> list[tuple[str, dict]]:
    """``(path below relative, info)`` of every file at ``relative``, sorted; a file gives
    ``[("", info)]``. Hidden partial files of unfinished transfers are left out."""
    fs = location.fs
    base = location.path(relative)
    fs.invalidate_cache()
    try:
        info = fs.info(base)
    except OSError as exc:
        if exc.errno == errno.ENOENT and not isinstance(exc, FileNotFoundError):
            raise FileNotFoundError(errno.ENOENT, "no such file or folder", base) from None
        raise
    if info.get("type") != "directory":
        return [("", info)]
    found = fs.find(base, detail=True, withdirs=False)
    strip = len(base.rstrip("/")) + 1
    out = []
    for path, item in found.items():
        if item.get("type") == "directory" or is_partial(path):
            continue
        out.append((_unprefixed(fs, path)[strip:], item))
    return sorted(out, key=lambda pair: pair[0])


def cheap_md5(info: dict[str, Any]) -> str | None:
    """The MD5 hex digest a store reports without reading the file, where it has one.

    S3's ETag is the MD5 of a single-PUT object (a multipart ETag has a ``-N`` suffix and is
    not); Azure stores Content-MD5 for blobs uploaded in one request or with one given.
    """
    settings: Any = info.get("content_settings")
    md5 = settings.get("content_md5") if hasattr(settings, "get") else None
    md5 = md5 or info.get("content_md5")
    if md5:
        return bytes(md5).hex() if not isinstance(md5, str) else base64.b64decode(md5).hex()
    etag = str(info.get("ETag") or info.get("etag") or "").strip('"')
    if len(etag) == 32 and "-" not in etag:
        return etag.lower()
    return None


def local_md5(path: str) -> str:
    """MD5 hex digest of a local file, read in 8 MiB chunks."""
    md5 = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(8 * 1024 * 1024):
            md5.update(chunk)
    return md5.hexdigest()


def _identity(info: dict[str, Any]) -> list[Any]:
    tag = cheap_md5(info) or str(info.get("ETag") or info.get("etag") or "").strip('"')
    mtime = info.get("mtime") or info.get("LastModified") or info.get("last_modified") or ""
    return [int(info.get("size") or 0), tag or str(mtime)]


def _unprefixed(fs: Any, path: str) -> str:
    return fs._strip_protocol(path) if "://" in path else path


def file_identity(info: dict[str, Any]) -> list[Any]:
    """What a listing says of a file's content: its size and its MD5 or ETag, else mtime."""
    return _identity(info)
