"""``register_on_complete``: once a step succeeds, each output that asks for it becomes a new
version of a registered dataset (a file dataset, or tabular with the reader it was read with)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlpipelines.errors import StepRunError, UserErrorException
from mlpipelines.records import OutputReference, PipelineDataOutput, StepDefinition
from mlpipelines.runtime.step_context import StepContext


def register_outputs(
    definition: StepDefinition, outputs: Mapping[str, OutputReference], ctx: StepContext
) -> None:
    """Register each finished output whose definition carries a registration."""
    from mlpipelines.datasets.registry import register_dataset
    from mlpipelines.storage.deployment import Deployment

    for spec in definition.outputs:
        registration = spec.registration if isinstance(spec, PipelineDataOutput) else None
        ref = outputs.get(spec.name)
        if registration is None or ref is None:
            continue
        dataset: dict[str, Any] = {
            "kind": "file" if registration.reader is None else "tabular",
            "sources": [{"datastore": ref.datastore, "path": ref.path}],
            "steps": [],
        }
        if registration.reader is not None:
            dataset["reader"] = dict(registration.reader)
        stores = {ref.store.name: ref.store} if ref.store.is_local else {}
        try:
            record = register_dataset(
                Deployment.current_knowing(stores),
                registration.name,
                dataset,
                description=f"output '{spec.name}' of step '{definition.name}'",
                create_new_version=True,
            )
        except UserErrorException as exc:
            raise StepRunError(f"output '{spec.name}' could not be registered: {exc}") from None
        ctx.log.info(
            "output %s registered as dataset %s version %s",
            spec.name,
            registration.name,
            record.get("version"),
        )
