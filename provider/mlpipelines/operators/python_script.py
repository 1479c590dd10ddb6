"""The operator that runs a PythonScriptStep: a process on the Airflow worker, or, on a
cluster with a pod or container backend, a pod or container it starts and waits for."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlpipelines.operators.step import DefinitionStepOperator
from mlpipelines.operators.step_links import StepArtifactsLink, StepOutputsLink
from mlpipelines.records import OutputReference
from mlpipelines.records.engines import CONTAINER_BACKENDS
from mlpipelines.records.step_kinds import step_kind
from mlpipelines.runtime.step_context import StepContext

if TYPE_CHECKING:
    from mlpipelines.runtime.step_run import StepResult


class PythonScriptStepOperator(DefinitionStepOperator):
    """Run ``python script_name *arguments`` in a fresh copy of the step's source folder.

    On a cluster whose backend is ``kubernetes`` or ``docker`` the step runs in a pod or
    container of the step image instead; this task hands it the step and relays its result.
    Made with ``PythonScriptStepOperator.for_step(step=..., task_id=..., ...)`` (see
    ``DefinitionStepOperator`` for why there is no ``__init__``).

    :param step: the step's definition, as planned by the translator.
    :param reuse_task_id: the reuse sensor's task id (None where the DAG has none).
    :param interpreter: the Python to run the script with (default: the worker's own).
        (templated)
    :param env: extra environment variables for the script. (templated)
    """

    template_fields: Sequence[str] = ("interpreter", "env")
    operator_extra_links = (StepOutputsLink(), StepArtifactsLink())
    ui_color = "#e8f1fb"
    step_arguments = ("interpreter", "env")
    interpreter: str | None = None
    env: dict[str, str] | None = None
    _process: subprocess.Popen[bytes] | None = None
    _container: Any = None

    def execute(self, context: Any) -> None:
        backend = self.step.compute.backend if self.step.compute else None
        if backend in CONTAINER_BACKENDS:
            self._execute_in_container(backend, context)
            return
        super().execute(context)

    def _execute_in_container(self, backend: str, context: Any) -> None:
        """Hand the step to a pod or container; relay what it reports as a local run would."""
        from airflow.sdk.exceptions import AirflowException

        from mlpipelines.operators.step_containers import docker_operator_for, pod_operator_for
        from mlpipelines.runtime.container_step import (
            build_envelope,
            parse_result_line,
            pulled_inputs,
            with_shipped_source,
        )

        ctx = self.step_context(context)
        if self._reused_or_waiting(ctx, context):
            return
        definition = with_shipped_source(self.step)
        envelope = build_envelope(definition, ctx, pulled_inputs(definition, ctx))
        build = pod_operator_for if backend == "kubernetes" else docker_operator_for
        try:
            self._container = build(definition, envelope, self.task_id)
            reported = self._container.execute(context)
        except ValueError as exc:
            raise AirflowException(str(exc)) from None
        except Exception as exc:
            tail = "\n".join(list(getattr(exc, "logs", None) or [])[-20:])
            raise AirflowException(
                f"step '{self.step.name}' failed in its {backend} container: {exc}"
                + (f"; last lines:\n{tail}" if tail else "")
            ) from exc
        finally:
            self._container = None
        if isinstance(reported, list):
            reported = parse_result_line("\n".join(reported))
        elif isinstance(reported, str):
            reported = parse_result_line(reported)
        if not isinstance(reported, dict):
            raise AirflowException(
                f"step '{self.step.name}': its {backend} container reported no result"
            )
        self.push_result(
            context["ti"],
            {name: OutputReference.from_json(ref) for name, ref in reported["outputs"].items()},
            reported["metrics"],
            reported.get("reused_run_id"),
            reported.get("key"),
            explanation=reported.get("explanation"),
        )

    def _reused_or_waiting(self, ctx: StepContext, context: Any) -> bool:
        """Look at the step's key on the worker first: a reused step hands its result on
        and a held one waits deferred, neither starting (nor occupying) a container."""
        from mlpipelines.runtime.step_run import look_before_running

        result = self.when_key_is_free(lambda: look_before_running(self.step, ctx))
        if result is None:
            return False
        self.hand_on(context["ti"], result)
        return True

    def run_step(self, ctx: StepContext) -> StepResult:
        # The kind's runner: this operator also runs the kinds that subclass it (a command).
        run = step_kind(self.step.kind).runner_function()
        try:
            result: StepResult = run(
                self.step, ctx, self.interpreter, self.env, on_start=self._remember
            )
            return result
        finally:
            self._process = None

    def _remember(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    def on_kill(self) -> None:
        from mlpipelines.runtime.process import kill_process_group

        kill_process_group(self._process)
        if self._container is not None:
            self._container.on_kill()
