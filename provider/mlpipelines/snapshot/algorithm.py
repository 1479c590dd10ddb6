"""The content hash of snapshots and fingerprints: its name is part of every digest.

Fixed per deployment by what is installed (blake3 is a dependency), never by a measurement, so
every worker computes the same keys; `hash_probe` only chooses thread counts.
"""

from __future__ import annotations

try:
    import blake3 as _blake3
except ImportError:  # pragma: no cover - exercised only where blake3 is missing
    _blake3 = None  # type: ignore[assignment]

ALGORITHM: str = "blake3" if _blake3 is not None else "sha256"
