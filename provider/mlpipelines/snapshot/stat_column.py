"""The stat fields a stat cache compares, for every file of a listing: one packed bytes column.

Each file is 32 bytes, `=QqqQ`: size, mtime_ns, ctime_ns, inode (mtimes before 1970 are
negative; inodes may use all 64 bits). The walk's C accelerator (`mlpipelines_native`) writes
this layout directly, the Python walk packs it from `os.stat` results, and the stat cache
stores and compares it as it is: an unchanged tree is one bytes compare, with no object per
file. This module is the layout's one home.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator, Sequence
from itertools import starmap
from operator import attrgetter

PACKED = struct.Struct("=QqqQ")
ROW = PACKED.size
Fields = tuple[int, int, int, int]
"""size, mtime_ns, ctime_ns, inode of one file."""

fields_of: attrgetter[Fields] = attrgetter("st_size", "st_mtime_ns", "st_ctime_ns", "st_ino")
"""A stat's compared fields as a tuple (a C call, no Python frame per file)."""


def pack_stats(stats: Iterable[os.stat_result]) -> bytes:
    """The compared fields of `stats`, packed one after another (C calls only)."""
    return b"".join(starmap(PACKED.pack, map(fields_of, stats)))


class StatColumn:
    """The packed fields of a listing's files, in the listing's order; read by index."""

    __slots__ = ("_count", "packed")

    def __init__(self, packed: bytes = b"") -> None:
        if len(packed) % ROW:
            raise ValueError(f"packed stat fields come in rows of {ROW} bytes")
        self.packed = packed
        self._count = len(packed) // ROW

    @classmethod
    def of(cls, stats: StatColumn | Sequence[os.stat_result]) -> StatColumn:
        """`stats` as a column (itself when it is one already)."""
        return stats if isinstance(stats, StatColumn) else cls(pack_stats(stats))

    def __len__(self) -> int:
        return self._count

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StatColumn) and other.packed == self.packed

    __hash__ = None  # type: ignore[assignment]

    def __getitem__(self, part: slice) -> StatColumn:
        start, stop, step = part.indices(self._count)
        if step != 1:
            raise ValueError("a stat column is sliced without a step")
        return StatColumn(self.packed[start * ROW : max(stop, start) * ROW])

    def __add__(self, other: StatColumn) -> StatColumn:
        return StatColumn(self.packed + other.packed)

    def __iter__(self) -> Iterator[Fields]:
        return PACKED.iter_unpack(self.packed)  # type: ignore[return-value]

    def row(self, i: int) -> bytes:
        """File `i`'s fields, packed (what the stat cache compares)."""
        return self.packed[i * ROW : (i + 1) * ROW]

    def fields(self, i: int) -> Fields:
        return PACKED.unpack_from(self.packed, i * ROW)  # type: ignore[return-value]

    def size(self, i: int) -> int:
        return int(self.fields(i)[0])

    def mtime_ns(self, i: int) -> int:
        return int(self.fields(i)[1])

    def sizes(self) -> list[int]:
        return [row[0] for row in PACKED.iter_unpack(self.packed)]
