"""What ``mlpipelines gc`` keeps: ages, how many runs per pipeline, the grace for orphans."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from mlpipelines.errors import UserErrorException

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}

DEFAULT_OLDER_THAN = "30d"
DEFAULT_KEEP_LAST = 5
DEFAULT_GRACE = "1h"


def format_duration(seconds: float) -> str:
    """``seconds`` in the largest whole unit: ``30d``, ``12h``, ``90s``."""
    for unit in ("w", "d", "h", "m"):
        size = _UNIT_SECONDS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:g}s"


def parse_duration(text: str) -> float:
    """Seconds in ``30d``, ``12h``, ``90m``, ``45s``, ``2w`` or a bare number of seconds."""
    found = _DURATION.match(str(text))
    if not found:
        raise UserErrorException(
            f"'{text}' is not a duration: write a number with s, m, h, d or w (e.g. 7d)"
        )
    return float(found.group(1)) * _UNIT_SECONDS[found.group(2)]


@dataclass(frozen=True)
class RetentionPolicy:
    """Remove run data older than ``older_than`` seconds beyond the newest ``keep_last`` runs
    of each pipeline; remove orphans (leftovers of killed tasks, stale markers, specs with no
    record) idle for longer than ``grace`` seconds. ``orphans_only`` keeps every run."""

    older_than: float = parse_duration(DEFAULT_OLDER_THAN)
    keep_last: int = DEFAULT_KEEP_LAST
    grace: float = parse_duration(DEFAULT_GRACE)
    orphans_only: bool = False
    now: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        if self.keep_last < 0:
            raise UserErrorException(f"--keep-last must be 0 or more, not {self.keep_last}")
        if self.older_than < 0 or self.grace < 0:
            raise UserErrorException("--older-than and --grace must not be negative")

    def old(self, modified: float) -> bool:
        """Whether something last changed at ``modified`` is past the retention age."""
        return modified <= self.now - self.older_than

    def idle(self, modified: float) -> bool:
        """Whether something last changed at ``modified`` is past the orphans' grace."""
        return modified <= self.now - self.grace
