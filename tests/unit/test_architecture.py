"""The architecture holds: no import cycles, a pure records package, and every step kind
the SDK defines in the registry. The layers themselves are import-linter's contracts."""

from __future__ import annotations

import grimp
import networkx as nx

import mlpipelines.model  # noqa: F401  (every SDK step class, for the registry check)
from mlpipelines.model.steps import Step
from mlpipelines.records.step_kinds import STEP_KINDS

# PipelineRun.publish_pipeline returns a PublishedPipeline and PublishedPipeline.submit a
# PipelineRun, as in the Azure ML SDK; this cycle is the one the client keeps on purpose.
KNOWN_CYCLES = [
    {
        "mlpipelines.client.experiment",
        "mlpipelines.client.pipeline_run",
        "mlpipelines.client.published_pipeline",
    }
]


def _graph() -> nx.DiGraph:
    imports = grimp.build_graph("mlpipelines", exclude_type_checking_imports=True)
    graph = nx.DiGraph()
    for module in imports.modules:
        graph.add_node(module)
        for imported in imports.find_modules_directly_imported_by(module):
            graph.add_edge(module, imported)
    return graph


def test_no_new_import_cycle() -> None:
    cycles = [c for c in nx.strongly_connected_components(_graph()) if len(c) > 1]
    unexpected = [sorted(c) for c in cycles if c not in KNOWN_CYCLES]
    assert unexpected == [], f"import cycles (lazy imports count too): {unexpected}"


def test_the_records_package_imports_only_the_error_types() -> None:
    graph = _graph()
    ours = {
        imported
        for module in graph.nodes
        if module.startswith("mlpipelines.records")
        for imported in graph.successors(module)
        if imported.startswith("mlpipelines") and not imported.startswith("mlpipelines.records")
    }
    assert ours <= {"mlpipelines.errors"}


def test_every_sdk_step_class_has_a_registry_entry() -> None:
    def subclasses(cls: type) -> list[type]:
        return [s for c in cls.__subclasses__() for s in (c, *subclasses(c))]

    kinds = {c.kind for c in subclasses(Step) if c.__module__.startswith("mlpipelines.")}
    assert kinds <= set(STEP_KINDS), f"kinds without a registry entry: {kinds - set(STEP_KINDS)}"
    assert set(STEP_KINDS) <= kinds, "a registry entry no SDK class uses"
