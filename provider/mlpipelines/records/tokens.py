"""The argument token: one entry of a step's argv or params, and the one way to resolve it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mlpipelines.errors import StepRunError

TokenKind = Literal["parameter", "input", "output", "value"]
_KINDS: tuple[TokenKind, ...] = ("parameter", "input", "output", "value")


class Placeholders(Mapping[str, str]):
    """A mapping that answers ``<kind name>`` for any name: what a token stands for where its
    value is not known (a reuse key's data, a task's documentation)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __getitem__(self, name: str) -> str:
        return f"<{self.kind} {name}>"

    def __contains__(self, name: object) -> bool:
        return True

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


class ParameterValues(Mapping[str, Any]):
    """A run's parameter values for a reuse key: a parameter without a value is ``None``
    (the key then differs from any run that gave one), never an error."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = params

    def __getitem__(self, name: str) -> Any:
        return self.params.get(name)

    def __contains__(self, name: object) -> bool:
        return True

    def __iter__(self) -> Any:
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)


@dataclass
class ArgumentToken:
    """A literal ``value``, a pipeline ``parameter``, or the path of an ``input`` or
    ``output``, named by ``ref``. JSON: ``{"<kind>": ref}``."""

    kind: TokenKind
    ref: str

    def resolve(
        self,
        params: Mapping[str, Any],
        inputs: Mapping[str, Any],
        outputs: Mapping[str, Any],
    ) -> Any:
        """What the token stands for: the literal, the parameter's value in ``params`` (as
        given: a SQL step binds it with its type), or the input's or output's entry. Values
        pass as they are: no shell, no template engine sees them. A parameter missing from
        ``params`` is a StepRunError."""
        if self.kind == "value":
            return self.ref
        if self.kind == "parameter":
            if self.ref not in params:
                raise StepRunError(f"pipeline parameter '{self.ref}' has no value in this run")
            return params[self.ref]
        return (inputs if self.kind == "input" else outputs)[self.ref]

    def render(
        self,
        params: Mapping[str, Any],
        inputs: Mapping[str, Any],
        outputs: Mapping[str, Any],
    ) -> str:
        """The token as one argv entry or environment value: ``resolve`` as a string."""
        return str(self.resolve(params, inputs, outputs))

    def describe(self) -> str:
        """The token as a reader sees it: the literal, or ``<parameter x>`` and the like
        (what ``render`` gives with the placeholder mappings, without their lookups)."""
        return self.ref if self.kind == "value" else f"<{self.kind} {self.ref}>"

    def to_json(self) -> dict[str, str]:
        return {self.kind: self.ref}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ArgumentToken:
        for kind in _KINDS:
            if kind in data:
                return cls(kind, str(data[kind]))
        raise ValueError(f"not an argument token: {dict(data)!r}")

    @classmethod
    def literal(cls, value: Any) -> ArgumentToken:
        return cls("value", str(value))


PLACEHOLDER_INPUTS = Placeholders("input")
PLACEHOLDER_OUTPUTS = Placeholders("output")
