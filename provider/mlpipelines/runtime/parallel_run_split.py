"""Splitting a ParallelRunStep's input into mini-batches: files by count or bytes, rows by
count or bytes, and the earlier run's grouping kept wherever its files are unchanged.

Keeping the earlier grouping is what makes reuse work when files are added: a mini-batch's
result is keyed by its files, so re-cutting the list after an insertion would change every
later mini-batch; instead the unchanged mini-batches are kept and only the new or changed
files form new ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from mlpipelines.records.parallel_run import MiniBatchSize
from mlpipelines.reuse.mini_batches import EarlierBatch


class FileItem(NamedTuple):
    """One file of the input: its name in the dataset, its fingerprint and its size (a named
    tuple: an input may have 10,000 files, and a frozen dataclass cost ~2 us each)."""

    name: str
    fingerprint: str
    size: int = 0


def split_files(items: Sequence[FileItem], size: MiniBatchSize) -> list[list[FileItem]]:
    """Consecutive mini-batches of ``size.count`` files, or of files adding up to at most
    ``size.bytes`` (a bigger file is a mini-batch of its own)."""
    if size.count is not None:
        step = size.count
        return [list(items[i : i + step]) for i in range(0, len(items), step)]
    limit = size.bytes or 1
    batches: list[list[FileItem]] = []
    current: list[FileItem] = []
    used = 0
    for item in items:
        if current and used + item.size > limit:
            batches.append(current)
            current, used = [], 0
        current.append(item)
        used += item.size
    if current:
        batches.append(current)
    return batches


def split_keeping(
    items: Sequence[FileItem],
    size: MiniBatchSize,
    earlier: Sequence[EarlierBatch],
) -> list[tuple[list[FileItem], str | None]]:
    """Mini-batches of ``items``, each with the key it had if it is an ``earlier`` one: each
    of those whose files are all still there unchanged, then the other files split as
    ``split_files`` does (key None), in dataset order."""
    by_name = {item.name: item for item in items}
    taken: set[str] = set()
    kept: list[tuple[list[FileItem], str | None]] = []
    for batch in earlier:
        found = [by_name[name] for name in batch.names if name in by_name]
        if (
            not found
            or len(found) != len(batch.names)
            or [item.fingerprint for item in found] != batch.fingerprints
            or not taken.isdisjoint(batch.names)
        ):
            continue
        kept.append((found, batch.key))
        taken.update(batch.names)
    rest = [item for item in items if item.name not in taken] if taken else items
    return kept + [(group, None) for group in split_files(rest, size)]


def split_rows(row_count: int, total_bytes: int, size: MiniBatchSize) -> list[tuple[int, int]]:
    """``[start, end)`` row ranges: ``size.count`` rows each, or as many rows as fit in
    ``size.bytes`` at the table's average row size (at least one)."""
    if row_count <= 0:
        return []
    if size.count is not None:
        step = size.count
    else:
        per_row = max(1, total_bytes // row_count)
        step = max(1, (size.bytes or 1) // per_row)
    return [(start, min(start + step, row_count)) for start in range(0, row_count, step)]


def assign_groups(batch_count: int, groups: int) -> list[list[int]]:
    """Mini-batch indexes dealt round-robin to ``groups`` mapped tasks (never more groups
    than mini-batches, and always one, so the mapped task shows even with nothing to do)."""
    count = max(1, min(groups, batch_count))
    return [list(range(g, batch_count, count)) for g in range(count)]
