"""After a script succeeds: its outputs take their final place atomically, or vanish."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid

from mlpipelines.errors import StepRunError
from mlpipelines.records import OutputReference
from mlpipelines.runtime.staging import PendingOutput
from mlpipelines.storage import StoreLocation
from mlpipelines.storage.datastores import reference
from mlpipelines.storage.location import DatastoreAccessError

EMPTY_MARKER = ".mlpipelines-empty-output"


def publish_output(output: PendingOutput) -> OutputReference:
    """Put a finished output in its final place; return its XCom reference.

    On a local folder: one rename (a final path already there, from a retried task of the
    same run, is swapped out first, so readers see the old or the new output, never a mix).
    On a remote store: an upload to the run's own prefix, emptied first; the reference that
    lets anyone read it exists only once the upload is complete.
    """
    if output.written_remotely:
        return _written_in_place(output)
    if output.fixed:
        return _upload_to_fixed_place(output)
    if output.final is None:
        return _upload(output)
    if output.final.exists():
        stale = output.final.parent / f".{output.final.name}.stale-{uuid.uuid4().hex[:12]}"
        os.rename(output.final, stale)
        os.rename(output.temp, output.final)
        _remove(stale)
    else:
        os.rename(output.temp, output.final)
    return reference(output.store, output.relative_path)


def _written_in_place(output: PendingOutput) -> OutputReference:
    """An output an engine wrote straight to its remote place: recorded, not moved."""
    from mlpipelines.storage.fingerprint import fingerprint

    location = output.location
    assert location is not None
    try:
        location.fs.invalidate_cache()
        found = fingerprint(location, output.relative_path)
        ref = reference(output.store, output.relative_path).with_fingerprint(found, found)
    except DatastoreAccessError as exc:
        raise StepRunError(f"output '{output.name}' cannot be checked: {exc}") from None
    output.uploading = False
    _remove(output.temp)
    return ref


def _upload(output: PendingOutput) -> OutputReference:
    from mlpipelines.storage.fingerprint import fingerprint
    from mlpipelines.storage.transfer import copy

    location = output.location
    assert location is not None
    target = location.path(output.relative_path)
    output.uploading = True
    try:
        if location.fs.exists(target):
            location.fs.rm(target, recursive=True)
        if not any(output.temp.iterdir()):
            # Object stores have no empty folders: a hidden marker makes the output exist.
            (output.temp / EMPTY_MARKER).touch()
        source = StoreLocation.local(output.temp, datastore="work")
        copy(source, "", location, output.relative_path, overwrite=True)
        # What the store says about the files now: a later reuse compares it, cheaply.
        said = fingerprint(location, output.relative_path)
        ref = reference(output.store, output.relative_path).with_fingerprint(None, said)
    except DatastoreAccessError as exc:
        raise StepRunError(f"output '{output.name}' could not be uploaded: {exc}") from None
    output.uploading = False
    _remove(output.temp)
    return ref


def _upload_to_fixed_place(output: PendingOutput) -> OutputReference:
    """An ``as_upload`` DataReference: the files go to a hidden staging place beside the
    destination, then are moved into it; the destination never shows half of them."""
    from mlpipelines.runtime.promotion import promote, staging_path_for
    from mlpipelines.storage.data_locations import DataLocation
    from mlpipelines.storage.transfer import copy

    location = output.location
    assert location is not None
    staging = staging_path_for(output.relative_path, output.temp.name)
    try:
        source = StoreLocation.local(output.temp, datastore="work")
        copy(source, "", location, staging, overwrite=True)
        promote(location, staging, output.relative_path)
        said = DataLocation(location, output.relative_path).store_fingerprint()
        ref = reference(output.store, output.relative_path).with_fingerprint(None, said)
    except DatastoreAccessError as exc:
        raise StepRunError(f"output '{output.name}' could not be uploaded: {exc}") from None
    _remove(output.temp)
    return ref


def discard_outputs(outputs: list[PendingOutput]) -> None:
    """Remove what a failed or killed script left half-written (and half-uploaded)."""
    for output in outputs:
        _remove(output.temp)
        if output.uploading and output.location is not None:
            # If the store is down this fails too; a retry empties the prefix first anyway.
            with contextlib.suppress(Exception):
                output.location.fs.rm(output.location.path(output.relative_path), recursive=True)


def _remove(path: os.PathLike[str] | str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.unlink(path)
