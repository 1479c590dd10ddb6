"""Errors users of mlpipelines meet, each naming what went wrong and where."""

from __future__ import annotations

from dataclasses import dataclass


class MlPipelinesError(Exception):
    """Base of every error mlpipelines raises on purpose: its message is meant for the user."""

    @property
    def message(self) -> str:
        """The message, as the old SDK's exceptions expose it (``e.message``)."""
        return str(self)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pipeline: the kind of problem, the step it belongs to, the message."""

    kind: str
    step: str | None
    message: str

    def __str__(self) -> str:
        where = f"step '{self.step}'" if self.step else "pipeline"
        return f"{where}: {self.message}"


class PipelineValidationError(MlPipelinesError, ValueError):
    """A pipeline cannot run; lists every problem found, each with the step it belongs to."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = [f"pipeline is invalid ({count} problem{'s' if count != 1 else ''}):"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))

    @property
    def kinds(self) -> list[str]:
        """The kind of each problem, in the order found."""
        return [p.kind for p in self.problems]


class UserErrorException(MlPipelinesError, ValueError):
    """A call with arguments that cannot work (the old SDK's name for it)."""


class WebserviceException(UserErrorException):
    """A registered model (or web service) that cannot be found: the old SDK's name, so code
    that catches it around ``Model(ws, name)`` (register when missing) runs unchanged."""


class ProjectSystemException(MlPipelinesError):
    """The old SDK's error for a workspace it could not find. Here a workspace is the
    configured Airflow deployment and is always found: the name exists so that code catching
    it (``except ProjectSystemException: ws = Workspace.create(...)``) runs unchanged."""


class AuthenticationException(MlPipelinesError):
    """The old SDK's error for a failed Azure sign-in; here credentials are an Airflow token
    in the workspace config, so it exists for code that catches it."""


class ComputeTargetException(MlPipelinesError, LookupError):
    """A compute target that does not exist or cannot be used."""


class StepRunError(MlPipelinesError, RuntimeError):
    """A step's script or engine failed; the message carries the exit code and the error tail."""


class ActivityFailedException(MlPipelinesError, RuntimeError):
    """A pipeline run ended failed (the old SDK's name, raised by wait_for_completion)."""


class AzureOnlyServiceError(UserErrorException):
    """An Azure-only service (AutoML, HyperDrive, Kusto, Batch, Data Factory, Open Datasets)
    was used; the message names the Airflow-native way to do the same."""
