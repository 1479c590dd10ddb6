"""What a DataTransferStep's task runs: one verified copy between two datastores, reusable."""

from __future__ import annotations

import os
import time
from typing import Any

from mlpipelines.errors import StepRunError, UserErrorException
from mlpipelines.records import OutputReference, StepDefinition, TransferSettings
from mlpipelines.reuse.decision import ReuseCheck
from mlpipelines.runtime.outputs import discard_outputs, publish_output
from mlpipelines.runtime.promotion import promote, staging_path
from mlpipelines.runtime.staging import PendingOutput, prepare_outputs
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.runtime.step_run import StepResult, run_with_reuse
from mlpipelines.storage import StoreLocation
from mlpipelines.storage.data_locations import DataLocation, LocatedInput
from mlpipelines.storage.datastores import location_of, reference
from mlpipelines.storage.location import DatastoreAccessError


def run_data_transfer_step(
    definition: StepDefinition, ctx: StepContext, show_progress: bool = False
) -> StepResult:
    """Reuse an earlier identical copy if its key has one; else copy once.

    Files go over one by one, each verified and put in place whole; a retry skips files
    already there with the same size and checksum. A SQL source's rows become one file.
    """
    if definition.transfer is not None and definition.transfer.sql is not None:
        return run_with_reuse(definition, ctx, lambda *_: _export_once(definition, ctx))
    return run_with_reuse(
        definition,
        ctx,
        lambda check, located: _copy_once(definition, ctx, check, located, show_progress),
    )


def _copy_once(
    definition: StepDefinition,
    ctx: StepContext,
    check: ReuseCheck,
    located: dict[str, LocatedInput],
    show_progress: bool,
) -> StepResult:
    spec = definition.transfer
    assert spec is not None
    source = located[spec.source].data
    if source is None:
        raise StepRunError(f"step '{definition.name}': the source must be data on a datastore")
    is_dir = _check_type(definition, source, spec.source_type)
    pending: list[PendingOutput] = []
    dest: StoreLocation | None = None
    try:
        if spec.destination is None:
            pending = prepare_outputs(definition, ctx)
            (output,) = pending
            dest = output.location or StoreLocation.local(output.temp, datastore="work")
            dest_rel = output.relative_path if output.location is not None else ""
        else:
            dest = location_of(spec.destination.datastore)
            dest_rel = spec.destination.path
        if not is_dir and (spec.destination is None or spec.destination_type == "directory"):
            dest_rel = "/".join(p for p in (dest_rel, source.relative.rsplit("/", 1)[-1]) if p)
        metrics = _copy(source, dest, dest_rel, is_dir, pending, ctx, show_progress)
        recorded = located[spec.source].ref
        # The copy holds the source's bytes: its identity is the source's, however measured.
        known = recorded.fingerprint if recorded is not None else None
        identity = f"copy:{known or source.store_fingerprint()}"
        name, ref, final = _finished(spec, dest, pending)
        pending = []
        outputs = {name: ref.with_fingerprint(identity, final.store_fingerprint())}
        return StepResult(outputs, metrics)
    except StepRunError:
        raise
    except (DatastoreAccessError, UserErrorException) as exc:
        raise StepRunError(f"step '{definition.name}': {exc}") from None
    except Exception as exc:  # an SDK error outside a file copy (a listing, a move)
        where = dest if dest is not None else source.location
        raise StepRunError(
            f"step '{definition.name}': {where.error('failed during the copy', exc)}"
        ) from None
    finally:
        discard_outputs(pending)


def _export_once(definition: StepDefinition, ctx: StepContext) -> StepResult:
    """Write a SQL source's rows as one Parquet/CSV file at the destination: the fixed
    DataReference path (a folder when it has no such extension), or in the PipelineData."""
    import tempfile
    from pathlib import Path

    from mlpipelines.runtime.sql_export import export_rows, file_format
    from mlpipelines.storage.transfer import copy

    spec = definition.transfer
    assert spec is not None and spec.sql is not None
    pending: list[PendingOutput] = []
    try:
        if spec.destination is None:
            pending = prepare_outputs(definition, ctx)
            dest = pending[0].location or StoreLocation.local(pending[0].temp, datastore="work")
            folder = pending[0].relative_path if pending[0].location is not None else ""
            dest_rel = "/".join(p for p in (folder, f"{spec.source}.parquet") if p)
            pending[0].uploading = pending[0].location is not None
        else:
            dest = location_of(spec.destination.datastore)
            dest_rel = spec.destination.path
            if not dest_rel.lower().endswith((".parquet", ".csv")):
                dest_rel = "/".join(p for p in (dest_rel, f"{spec.source}.parquet") if p)
        fmt = file_format(dest_rel)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="mlp-sql-") as temp:
            local = Path(temp) / f"rows.{fmt}"
            rows = export_rows(spec.sql, local, fmt)
            copy(StoreLocation.local(temp), local.name, dest, dest_rel, True)
        seconds = round(time.perf_counter() - started, 3)
        ctx.log.info(
            "wrote %d row(s) of datastore '%s' as %s to %s in %.2f s",
            rows, spec.sql.datastore.name, fmt, dest.uri(dest_rel), seconds,
        )  # fmt: skip
        name, ref, final = _finished(spec, dest, pending)
        pending = []
        fingerprint = final.store_fingerprint()
        return StepResult(
            {name: ref.with_fingerprint(fingerprint)}, {"rows": rows, "seconds": seconds}
        )
    except (DatastoreAccessError, UserErrorException) as exc:
        raise StepRunError(f"step '{definition.name}': {exc}") from None
    finally:
        discard_outputs(pending)


def _copy(
    source: DataLocation,
    dest: StoreLocation,
    dest_rel: str,
    is_dir: bool,
    pending: list[PendingOutput],
    ctx: StepContext,
    show_progress: bool,
) -> dict[str, Any]:
    """Copy the source to its destination, whole or not at all; the copy's metrics."""
    from mlpipelines.storage.transfer import copy

    started = time.perf_counter()
    if pending and pending[0].location is not None:
        pending[0].uploading = True
    if pending or not is_dir:
        # A fresh place per run that no one can name before the XCom reference exists; or
        # one file, which every store shows whole or not at all (temp + rename locally,
        # a committed block list or PUT remotely).
        result = copy(source.location, source.relative, dest, dest_rel, True, show_progress)
    else:
        staging = staging_path(dest_rel, ctx)
        result = copy(source.location, source.relative, dest, staging, True, show_progress)
        if result.files:
            promote(dest, staging, dest_rel)
        elif dest.is_local:  # an empty folder copies to an empty folder
            os.makedirs(dest.path(dest_rel), exist_ok=True)
    seconds = time.perf_counter() - started
    ctx.log.info(
        "copied %d file(s), %d bytes, from %s to %s in %.2f s (%d already in place)",
        result.copied,
        result.bytes,
        source.uri(),
        dest.uri(dest_rel),
        seconds,
        result.skipped,
    )
    return {"files": result.files, "bytes": result.bytes, "seconds": round(seconds, 3)}


def _finished(
    spec: TransferSettings, dest: StoreLocation, pending: list[PendingOutput]
) -> tuple[str, OutputReference, DataLocation]:
    """The copy in its final place: its output's name, its reference, and its location."""
    if pending:
        output = pending[0]
        if output.location is None:
            ref = publish_output(output)
        else:
            ref = reference(output.store, output.relative_path)
            output.uploading = False
        return output.name, ref, DataLocation(location_of(output.store), output.relative_path)
    assert spec.destination is not None
    ref = reference(spec.destination.datastore, spec.destination.path)
    return "destination", ref, DataLocation(dest, spec.destination.path)


def _check_type(definition: StepDefinition, source: DataLocation, wanted: str | None) -> bool:
    """Whether the source is a folder; refuses a source that is not what the step says."""
    is_dir = bool(source.location.fs.isdir(source.location.path(source.relative)))
    if wanted is not None and wanted != ("directory" if is_dir else "file"):
        raise StepRunError(
            f"step '{definition.name}': source {source.describe()} is a "
            f"{'directory' if is_dir else 'file'}, but source_reference_type is '{wanted}'"
        )
    return is_dir
