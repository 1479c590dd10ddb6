"""A command's words and the old SDK's references inside them: ``$AZUREML_DATAREFERENCE_<name>``
(the path of the step's input or output ``<name>``; what ``str(PipelineData)`` gives) and
``$AML_PARAMETER_<name>`` (the value of its params entry ``<name>``).

Azure ML ran a command through a shell, which expanded them from the environment; here a
command runs as an argv list, so these two references, and nothing else, are expanded in
the literal words the pipeline's author wrote. Values put in never pass through a shell.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

DATA_PREFIX = "AZUREML_DATAREFERENCE_"
PARAM_PREFIX = "AML_PARAMETER_"
_REFERENCE = re.compile(r"\$(\{)?(AZUREML_DATAREFERENCE_|AML_PARAMETER_)(\w+)(?(1)\})")


def split_words(text: str) -> list[str]:
    """A command string split as a POSIX shell splits words (quotes kept together), with no
    expansion; raises ValueError on an unclosed quote."""
    return shlex.split(text, posix=True)


def references(word: str) -> list[tuple[str, str]]:
    """The references in one word, each as ``("data" | "param", name)``."""
    return [(_role(m.group(2)), m.group(3)) for m in _REFERENCE.finditer(word)]


def expand(word: str, value_of: Callable[[str, str], str]) -> str:
    """``word`` with each reference replaced by ``value_of(role, name)``; the values are
    inserted as they are, never scanned again."""
    return _REFERENCE.sub(lambda m: value_of(_role(m.group(2)), m.group(3)), word)


def _role(prefix: str) -> str:
    return "data" if prefix == DATA_PREFIX else "param"
