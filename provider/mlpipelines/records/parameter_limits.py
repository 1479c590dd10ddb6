"""What a pipeline parameter's value may be, in one place: the REST run request refuses a
value outside it before a run exists, and the DAG's Params carry the same bounds so a run
triggered through Airflow's own REST API or UI is refused the same way."""

from __future__ import annotations

import re
from typing import Any

# A 64-bit integer: what Airflow's JSON columns, the conf and most scripts' parsers hold.
MIN_INTEGER = -(2**63)
MAX_INTEGER = 2**63 - 1
# A value reaches a script as one argv word or environment variable: Linux refuses one over
# 128 KiB ("Argument list too long"), and a character takes up to 4 bytes in UTF-8.
MAX_STRING_CHARS = 32_000
# Azure ML's datastore names: letters, digits and underscores (we also take "-"), <= 255.
DATASTORE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,254}")


def string_problem(value: str) -> str | None:
    """Why ``value`` cannot be a parameter's string, or None when it can."""
    if "\x00" in value:
        return "holds a NUL character, which no argument or environment variable can carry"
    if len(value) > MAX_STRING_CHARS:
        return f"is {len(value):,} characters long; the limit is {MAX_STRING_CHARS:,}"
    return None


def integer_problem(value: int) -> str | None:
    """Why ``value`` cannot be a parameter's integer, or None when it can."""
    if not MIN_INTEGER <= value <= MAX_INTEGER:
        return "is out of range: an integer parameter holds -2**63 to 2**63-1"
    return None


def schema_bounds(json_type: str) -> dict[str, Any]:
    """JSON-schema keywords that bound a Param of ``json_type`` as the checks above do."""
    if json_type == "integer":
        return {"minimum": MIN_INTEGER, "maximum": MAX_INTEGER}
    if json_type == "string":
        return {"maxLength": MAX_STRING_CHARS, "pattern": "^[^\\x00]*$"}
    return {}
