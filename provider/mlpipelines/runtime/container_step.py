"""A script or command step in a pod or container: ``python -m mlpipelines.runtime.container_step``.

The worker hands the step over as a JSON envelope in ``MLPIPELINES_STEP_ENVELOPE``; this
process runs it exactly as the worker would (reuse, staging, script, outputs, manifest) and
reports the result where each operator reads it: ``/airflow/xcom/return.json`` (the
KubernetesPodOperator's XCom sidecar folder, when it exists) and always the last stdout line,
``MLPIPELINES_RESULT {...}`` (the DockerOperator's XCom is the last log line).

The envelope holds no secret: datastore credentials come through the environment the
compute target configures (Kubernetes secrets, or variables the worker passes through).
This process reads them; the step's script is handed the resolved datastores, as on a
worker (``runtime.script_datastores``), and never imports Airflow.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from mlpipelines.errors import StepRunError
from mlpipelines.records import OutputReference, PipelineDataInput, SourceRef, StepDefinition
from mlpipelines.runtime.step_context import StepContext

ENVELOPE_ENV = "MLPIPELINES_STEP_ENVELOPE"
ENVELOPE_VERSION = 1
RESULT_PREFIX = "MLPIPELINES_RESULT "
XCOM_RETURN_FILE = Path("/airflow/xcom/return.json")
WAIT_FOR_HOLDER_SECONDS = 3


def build_envelope(
    definition: StepDefinition,
    ctx: StepContext,
    inputs: dict[tuple[str, str], OutputReference | None],
) -> dict[str, Any]:
    """What a container needs to run a step: its definition, run identity, params, and the
    references of its inputs that the worker pulled from XCom, keyed by (producer, output)."""
    return {
        "version": ENVELOPE_VERSION,
        "definition": definition.to_json(),
        "run": {
            "dag_id": ctx.dag_id,
            "run_id": ctx.run_id,
            "task_id": ctx.task_id,
            "try_number": ctx.try_number,
        },
        "params": ctx.params,
        "inputs": [
            {"producer": producer, "output": name, "ref": ref.to_json() if ref else None}
            for (producer, name), ref in sorted(inputs.items())
        ],
    }


def with_shipped_source(definition: StepDefinition) -> StepDefinition:
    """The definition a container gets: where its source folder is on the worker only (a DAG
    file's ``source_directory``) and the default datastore is remote, the snapshot is
    shipped there first and the step names that copy, so the container needs no shared
    disk. Submitted steps already name theirs."""
    source = definition.source_directory
    store = definition.default_datastore
    if definition.source_ref or not source or store.is_local:
        return definition
    from mlpipelines.snapshot import take_snapshot
    from mlpipelines.storage.datastores import location_of
    from mlpipelines.storage.snapshots import ship_snapshot

    relative = ship_snapshot(take_snapshot(source), location_of(store))
    return definition.with_changes(source_ref=SourceRef(store, relative))


def pulled_inputs(
    definition: StepDefinition, ctx: StepContext
) -> dict[tuple[str, str], OutputReference | None]:
    """The references of a step's pipeline-data inputs, pulled on the worker."""
    return {
        (spec.producer, spec.data): ctx.pull_output(spec.producer, spec.data)
        for spec in definition.inputs
        if isinstance(spec, PipelineDataInput)
    }


def context_from_envelope(envelope: dict[str, Any], log: logging.Logger) -> StepContext:
    """The StepContext an envelope describes; its pull_output answers from the envelope."""
    if envelope.get("version") != ENVELOPE_VERSION:
        raise StepRunError(f"step envelope version {envelope.get('version')!r} is not supported")
    refs = {
        (item["producer"], item["output"]): OutputReference.from_json(item["ref"])
        for item in envelope["inputs"]
        if item.get("ref")
    }
    run = envelope["run"]
    return StepContext(
        dag_id=run["dag_id"],
        run_id=run["run_id"],
        task_id=run["task_id"],
        params=dict(envelope.get("params") or {}),
        pull_output=lambda producer, name: refs.get((producer, name)),
        try_number=int(run.get("try_number") or 1),
        log=log,
    )


def result_record(result: Any) -> dict[str, Any]:
    """A StepResult as the JSON the operator relays: refs, metrics, the reused run or None,
    the key and why the step ran (or which run it reused)."""
    reused = result.reused
    return {
        "outputs": {name: ref.to_json() for name, ref in result.outputs.items()},
        "metrics": result.metrics,
        "reused_run_id": reused.run_id if reused is not None else None,
        "key": result.check.key if result.check is not None else None,
        "explanation": result.check.summary() if result.check is not None else None,
    }


def parse_result_line(logs: str) -> dict[str, Any] | None:
    """The result a container reported, from its output (the last result line wins)."""
    for line in reversed(logs.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    return None


def report(record: dict[str, Any], xcom_file: Path = XCOM_RETURN_FILE) -> None:
    """Write the result where the pod's sidecar and the Docker log reader look for it."""
    text = json.dumps(record, sort_keys=True)
    if xcom_file.parent.is_dir():
        xcom_file.write_text(text)
    sys.stdout.flush()
    print(RESULT_PREFIX + text, flush=True)


def main() -> int:
    """Run the envelope's step; 0 and a result report, or 1 and the failure on stderr."""
    from mlpipelines.records.step_kinds import step_kind
    from mlpipelines.runtime.step_run import StepHeld

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s")
    log = logging.getLogger("mlpipelines.step")
    raw = os.environ.get(ENVELOPE_ENV)
    if not raw:
        print(f"{ENVELOPE_ENV} is not set: nothing to run", file=sys.stderr)
        return 2
    try:
        envelope = json.loads(raw)
        ctx = context_from_envelope(envelope, log)
        definition = StepDefinition.from_json(envelope["definition"])
        run_step = step_kind(definition.kind).runner_function()
        while True:
            try:
                result = run_step(definition, ctx)
                break
            except StepHeld as held:
                # A pod cannot hand its slot back and defer as a worker task does:
                # it waits here for the other run, then reuses what that run made.
                log.info("waiting: %s", held)
                time.sleep(WAIT_FOR_HOLDER_SECONDS)
    except StepRunError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    report(result_record(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
