"""The one test every count, size and timeout of the SDK passes: a whole number, not a bool."""

from __future__ import annotations

from typing import Any, TypeGuard


def is_whole(value: Any, minimum: int = 0) -> TypeGuard[int]:
    """Whether ``value`` is an ``int`` (a bool is not) of at least ``minimum``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum
