"""Splitting a ParallelRunStep's input: files by count and by bytes, rows, earlier groupings."""

from __future__ import annotations

import pytest

from mlpipelines.records.parallel_run import MiniBatchSize, parse_mini_batch_size
from mlpipelines.reuse.mini_batches import EarlierBatch
from mlpipelines.runtime.parallel_run_split import (
    FileItem,
    assign_groups,
    split_files,
    split_keeping,
    split_rows,
)


def _items(count: int, size: int = 100) -> list[FileItem]:
    return [FileItem(f"f{i:02}", f"fp{i}", size) for i in range(count)]


def test_sizes_parse_as_counts_or_bytes():
    assert parse_mini_batch_size(10) == MiniBatchSize(count=10)
    assert parse_mini_batch_size("10") == MiniBatchSize(count=10)
    assert parse_mini_batch_size("1MB") == MiniBatchSize(bytes=1024**2)
    assert parse_mini_batch_size("512kb") == MiniBatchSize(bytes=512 * 1024)
    for bad in ("1XB", 0, "0MB", -3, "MB", 1.5, True):
        with pytest.raises(ValueError, match="mini_batch_size"):
            parse_mini_batch_size(bad)


def test_files_by_count():
    batches = split_files(_items(7), MiniBatchSize(count=3))
    assert [[i.name for i in b] for b in batches] == [
        ["f00", "f01", "f02"],
        ["f03", "f04", "f05"],
        ["f06"],
    ]


def test_files_by_bytes_a_big_file_alone():
    items = [FileItem("a", "1", 400), FileItem("b", "2", 600), FileItem("big", "3", 5000)]
    items.append(FileItem("c", "4", 10))
    batches = split_files(items, parse_mini_batch_size("1KB"))
    assert [[i.name for i in b] for b in batches] == [["a", "b"], ["big"], ["c"]]


def _earlier(key: str | None, pairs: list[tuple[str, str]]) -> EarlierBatch:
    return EarlierBatch(key, [n for n, _ in pairs], [f for _, f in pairs])


def test_earlier_groups_kept_with_their_keys_unless_a_file_changed_or_went():
    items = _items(6)
    earlier = [
        _earlier("k0", [("f00", "fp0"), ("f01", "fp1")]),
        _earlier("k1", [("f02", "old"), ("f03", "fp3")]),
        _earlier("k2", [("f04", "fp4"), ("gone", "x")]),
        _earlier("k3", [("f01", "fp1"), ("f05", "fp5")]),  # f01 is kept in k0 already
        _earlier(None, [("f05", "fp5")]),  # from a version 1 layout
    ]
    batches = split_keeping(items, MiniBatchSize(count=2), earlier)
    assert [([i.name for i in b], key) for b, key in batches] == [
        (["f00", "f01"], "k0"),
        (["f05"], None),
        (["f02", "f03"], None),
        (["f04"], None),
    ]
    added = [*items, FileItem("f00a", "new", 1)]
    again = split_keeping(
        added,
        MiniBatchSize(count=2),
        [
            _earlier(f"k{n}", [(i.name, i.fingerprint) for i in b])
            for n, (b, _) in enumerate(batches)
        ],
    )
    assert [([i.name for i in b], key) for b, key in again] == [
        (["f00", "f01"], "k0"),
        (["f05"], "k1"),
        (["f02", "f03"], "k2"),
        (["f04"], "k3"),
        (["f00a"], None),
    ]


def test_rows_by_count_and_by_bytes():
    assert split_rows(25, 2500, MiniBatchSize(count=10)) == [(0, 10), (10, 20), (20, 25)]
    assert split_rows(25, 2500, MiniBatchSize(bytes=1000)) == [(0, 10), (10, 20), (20, 25)]
    assert split_rows(3, 3 * 10**6, MiniBatchSize(bytes=1024**2)) == [(0, 1), (1, 2), (2, 3)]
    assert split_rows(0, 0, MiniBatchSize(count=10)) == []


def test_groups_dealt_round_robin_and_never_empty():
    assert assign_groups(5, 2) == [[0, 2, 4], [1, 3]]
    assert assign_groups(1, 4) == [[0]]
    assert assign_groups(0, 3) == [[]]
