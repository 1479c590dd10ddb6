"""A step's arguments as argv words: data and parameter tokens become their path or value,
one word each; in the author's literal words the old SDK's ``$AZUREML_DATAREFERENCE_<name>``
and ``$AML_PARAMETER_<name>`` are expanded, as Azure ML's shell did. Nothing else is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlpipelines.errors import StepRunError
from mlpipelines.records import StepDefinition
from mlpipelines.records.command_words import expand


def argument_words(
    definition: StepDefinition,
    params: Mapping[str, Any],
    inputs: Mapping[str, Any],
    outputs: Mapping[str, Any],
    strict: bool,
) -> list[str]:
    """The argv words of ``definition.arguments``. A reference to data or a param the step
    lacks is an error when ``strict`` (a command, checked when it was defined), else it is
    left as written (a script's argument that only looks like one)."""

    def value_of(role: str, name: str) -> str:
        if role == "data" and (name in inputs or name in outputs):
            return str(inputs[name] if name in inputs else outputs[name])
        if role == "param" and name in definition.params:
            return definition.params[name].render(params, inputs, outputs)
        if strict:
            raise StepRunError(
                f"step '{definition.name}': the command names no known {role} {name!r}"
            )
        prefix = "AZUREML_DATAREFERENCE_" if role == "data" else "AML_PARAMETER_"
        return f"${prefix}{name}"

    return [
        expand(token.ref, value_of)
        if token.kind == "value"
        else token.render(params, inputs, outputs)
        for token in definition.arguments
    ]
