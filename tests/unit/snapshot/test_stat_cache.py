"""The stat cache's file format (version 3, blobs in key order) and when it vouches for a file."""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import time
from pathlib import Path

import pytest

from mlpipelines.snapshot import StatCache, files_digest, take_snapshot
from mlpipelines.snapshot import digest as digest_module
from mlpipelines.snapshot.stat_cache import cached_paths
from mlpipelines.snapshot.stat_column import StatColumn

pytestmark = pytest.mark.usefixtures("walk_mode")

OLD = time.time() - 3600
V2 = b"mlpipelines-stat-cache\x002\x00"
V3 = b"mlpipelines-stat-cache\x003\x00"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    for relpath in ("a.py", "pkg/b.py", "pkg/c.txt", "z/d.bin"):
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(relpath * 3)
        os.utime(path, (OLD, OLD))
    return root


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the digest module actually reads."""
    paths: list[str] = []
    read = digest_module._digest

    def counting(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        paths.append(os.path.basename(path))
        return read(path, *args, **kwargs)

    monkeypatch.setattr(digest_module, "_digest", counting)
    return paths


def listing(root: Path) -> tuple[list[str], list[os.stat_result]]:
    keys = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return keys, [os.stat(root / key) for key in keys]


def test_round_trip_keeps_every_entry_and_the_remembered_values(tmp_path: Path, tree: Path) -> None:
    cache = StatCache(tmp_path / "cache")
    keys, stats = listing(tree)
    for i, (key, st) in enumerate(zip(keys, stats, strict=True)):
        cache.store(key, st, f"{i:064x}")
    cache.remember("tree", "blake3:00")
    cache.save()
    loaded = StatCache(tmp_path / "cache")
    assert len(loaded) == len(keys)
    assert loaded.remembered("tree") == "blake3:00"
    digests = [f"{i:064x}" for i in range(len(keys))]
    assert loaded.lookup_listing(keys, StatColumn.of(stats)) == digests
    assert cached_paths(tmp_path / "cache") == keys
    # Lookups by key agree with the one-compare path.
    again = StatCache(tmp_path / "cache")
    assert [again.lookup(k, st) for k, st in zip(keys, stats, strict=True)] == [
        f"{i:064x}" for i in range(len(keys))
    ]


def test_unchanged_save_writes_nothing(tmp_path: Path, tree: Path) -> None:
    take_snapshot(tree, cache=StatCache(tmp_path / "cache"))
    written = os.stat(tmp_path / "cache").st_mtime_ns
    os.utime(tmp_path / "cache", ns=(written - 10**9, written - 10**9))
    take_snapshot(tree, cache=StatCache(tmp_path / "cache"))
    assert os.stat(tmp_path / "cache").st_mtime_ns == written - 10**9


def _write_cache(path: Path, magic: bytes, body: object) -> None:
    payload = marshal.dumps(body)
    path.write_bytes(magic + hashlib.sha256(payload).digest() + payload)


def _stored(path: Path) -> tuple:
    return marshal.loads(path.read_bytes()[len(V3) + 32 :])


def _v3(body: dict) -> tuple:
    """A version 3 body for the 4 files of `tree` as written below, with `body`'s changes."""
    fields = b"".join(os.urandom(8) + (1).to_bytes(8, "little") * 3 for _ in range(4))
    parts = {
        "algorithm": digest_module.ALGORITHM,
        "byteorder": sys.byteorder,
        "names": "\0".join(("a.py", "pkg/b.py", "pkg/c.txt", "z/d.bin")),
        "fields": fields,
        "digests": "\0".join(["0" * 64] * 4),
        "derived": {},
    }
    return tuple({**parts, **body}.values())


@pytest.mark.parametrize(
    ("magic", "body"),
    [
        # version 1: one dict of tuples
        (b"mlpipelines-stat-cache\x001\x00", ("blake3", {"a.py": (1, 2, 3, 4, "0" * 64)})),
        # version 2: columns of a tuple and a hex string per file
        (V2, ("blake3", ["a.py"], [(1, 2, 3, 4)], ["0" * 64], {})),
        # version 3 of the wrong shape
        (V3, _v3({"fields": b"\0" * 31})),
        (V3, _v3({"digests": "\0".join(["0" * 64] * 3)})),
        (V3, _v3({"digests": "0" * 256})),
        (V3, _v3({"names": "a.py\0pkg/b.py"})),
        (V3, _v3({"names": ["a.py", "pkg/b.py", "pkg/c.txt", "z/d.bin"]})),
        (V3, _v3({"byteorder": "big" if sys.byteorder == "little" else "little"})),
        (V3, ["not", "a", "tuple", "of", "six", "items"]),
    ],
)
def test_an_old_or_malformed_cache_is_ignored_and_rebuilt(
    tmp_path: Path, tree: Path, reads: list[str], magic: bytes, body: object
) -> None:
    path = tmp_path / "cache"
    _write_cache(path, magic, body)
    assert len(StatCache(path)) == 0
    assert cached_paths(path) == []
    expected = take_snapshot(tree, cache=StatCache(tmp_path / "fresh"))
    reads.clear()
    assert take_snapshot(tree, cache=StatCache(path)) == expected
    assert len(reads) == 4  # nothing trusted
    assert len(StatCache(path)) == 4
    assert path.read_bytes().startswith(V3)


def test_a_well_formed_body_of_the_right_shape_is_trusted(tmp_path: Path) -> None:
    """The malformed cases above differ from this one by one field each."""
    _write_cache(tmp_path / "cache", V3, _v3({}))
    assert cached_paths(tmp_path / "cache") == ["a.py", "pkg/b.py", "pkg/c.txt", "z/d.bin"]


@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "empty"])
def test_a_corrupt_cache_is_ignored_and_rebuilt(
    tmp_path: Path, tree: Path, reads: list[str], damage: str
) -> None:
    path = tmp_path / "cache"
    expected = take_snapshot(tree, cache=StatCache(path))
    data = bytearray(path.read_bytes())
    if damage == "flipped byte":
        data[len(data) // 2] ^= 0x01
    path.write_bytes(
        b"" if damage == "empty" else data[: len(data) - 9] if damage == "truncated" else data
    )
    assert len(StatCache(path)) == 0
    reads.clear()
    assert take_snapshot(tree, cache=StatCache(path)) == expected
    assert len(reads) == 4
    assert len(StatCache(path)) == 4


def test_a_cache_of_another_algorithm_is_ignored(tmp_path: Path, tree: Path) -> None:
    cache = StatCache(tmp_path / "cache")
    take_snapshot(tree, cache=cache)
    data = _stored(tmp_path / "cache")
    assert len(StatCache(tmp_path / "cache")) == 4
    other = "sha256" if data[0] != "sha256" else "blake3"
    _write_cache(tmp_path / "cache", V3, (other, *data[1:]))
    assert len(StatCache(tmp_path / "cache")) == 0


_TIMES = ("st_atime", "st_mtime", "st_ctime", "st_atime_ns", "st_mtime_ns", "st_ctime_ns")


def _one_more(st: os.stat_result, field: str) -> os.stat_result:
    """`st` with `field` one higher and every other field the same."""
    sequence = list(st)
    times = {name: getattr(st, name) for name in _TIMES}
    if field == "st_size":
        sequence[6] += 1
    elif field == "st_ino":
        sequence[1] += 1
    else:
        times[field] += 1
    return os.stat_result(sequence, times)


def _saved_cache(path: Path, tree: Path) -> tuple[list[str], list[os.stat_result]]:
    """The tree's listing, each file saved in a stat cache at `path` with digest i (as hex)."""
    cache = StatCache(path)
    keys, stats = listing(tree)
    for i, (key, st) in enumerate(zip(keys, stats, strict=True)):
        cache.store(key, st, f"{i:064x}")
    cache.save()
    return keys, stats


@pytest.mark.parametrize("field", ["st_size", "st_mtime_ns", "st_ctime_ns", "st_ino"])
def test_one_changed_stat_among_the_same_names_fails_the_two_compares(
    tmp_path: Path, tree: Path, field: str
) -> None:
    keys, stats = _saved_cache(tmp_path / "cache", tree)
    digests = [f"{i:064x}" for i in range(len(keys))]
    assert StatCache(tmp_path / "cache").unchanged(keys, StatColumn.of(stats)) == digests
    changed = _one_more(stats[2], field)
    assert getattr(changed, field) == getattr(stats[2], field) + 1
    one_changed = StatColumn.of([*stats[:2], changed, *stats[3:]])
    again = StatCache(tmp_path / "cache")
    assert again.unchanged(keys, one_changed) is None
    assert again.lookup_listing(keys, one_changed) == [*digests[:2], None, *digests[3:]]


def test_other_names_with_the_same_stats_fail_the_two_compares(tmp_path: Path, tree: Path) -> None:
    keys, stats = _saved_cache(tmp_path / "cache", tree)
    renamed = [*keys[:2], keys[2] + "x", *keys[3:]]
    column = StatColumn.of(stats)
    assert StatCache(tmp_path / "cache").unchanged(renamed, column) is None
    assert StatCache(tmp_path / "cache").unchanged(keys[:3], column[:3]) is None


def test_keys_an_unchanged_listing_vouched_for_are_kept_when_another_is_stored(
    tmp_path: Path, tree: Path
) -> None:
    keys, stats = _saved_cache(tmp_path / "cache", tree)
    again = StatCache(tmp_path / "cache")
    assert again.unchanged(keys, StatColumn.of(stats)) is not None
    again.store("elsewhere.py", stats[0], "f" * 64)
    again.drop_unused()
    again.save()
    assert cached_paths(tmp_path / "cache") == sorted([*keys, "elsewhere.py"])


def test_a_recently_modified_file_is_never_trusted(
    tmp_path: Path, tree: Path, reads: list[str]
) -> None:
    (tree / "fresh.py").write_text("just written")
    take_snapshot(tree, cache=StatCache(tmp_path / "cache"))
    assert "fresh.py" not in cached_paths(tmp_path / "cache")
    reads.clear()
    take_snapshot(tree, cache=StatCache(tmp_path / "cache"))
    assert reads == ["fresh.py"]


@pytest.mark.parametrize("change", ["size", "mtime", "inode"])
def test_a_changed_file_is_read_again(
    tmp_path: Path, tree: Path, reads: list[str], change: str
) -> None:
    first = take_snapshot(tree, cache=StatCache(tmp_path / "cache"))
    target = tree / "pkg" / "b.py"
    if change == "size":
        target.write_text("longer content than before")
        os.utime(target, (OLD, OLD))
    elif change == "mtime":
        target.write_text("pkg/B.pypkg/b.pypkg/b.py")  # same size
        os.utime(target, (OLD + 1, OLD + 1))
    else:  # a new file renamed over it: same size, same mtime, another inode
        replacement = tree / "pkg" / "b.new"
        replacement.write_text("pkg/b.pypkg/B.pypkg/b.py")
        os.utime(replacement, (OLD, OLD))
        os.replace(replacement, target)
    time.sleep(0.01)
    reads.clear()
    again = take_snapshot(tree, cache=StatCache(tmp_path / "cache"))
    assert reads == ["b.py"]
    assert again.files["pkg/b.py"] != first.files["pkg/b.py"]
    assert again.digest != first.digest
    assert again.digest == files_digest(again.files)


def test_the_remembered_tree_digest_follows_added_and_removed_files(
    tmp_path: Path, tree: Path
) -> None:
    cache_path = tmp_path / "cache"
    first = take_snapshot(tree, cache=StatCache(cache_path))
    assert take_snapshot(tree, cache=StatCache(cache_path)).digest == first.digest
    (tree / "pkg" / "c.txt").rename(tree / "pkg" / "c2.txt")  # same content, another name
    renamed = take_snapshot(tree, cache=StatCache(cache_path))
    assert renamed.digest != first.digest
    assert renamed.digest == files_digest(renamed.files)
    (tree / "pkg" / "c2.txt").rename(tree / "pkg" / "c.txt")
    assert take_snapshot(tree, cache=StatCache(cache_path)).digest == first.digest


def test_a_tree_of_only_racy_files_writes_no_cache(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    (root / "new.py").write_text("just written")
    take_snapshot(root, cache=StatCache(tmp_path / "cache"))
    assert not (tmp_path / "cache").exists()


def _fake_stat(i: int, mtime: int = int(OLD) * 10**9) -> os.stat_result:
    """A stat with fields unique to `i`, of an old file (outside the racy window) unless
    `mtime` says otherwise."""
    mtime += i
    return os.stat_result((0o100644, 10_000 + i, 1, 1, 0, 0, i, 0, 0, 0), {
        "st_atime_ns": mtime, "st_mtime_ns": mtime, "st_ctime_ns": mtime + 1,
    })  # fmt: skip


def test_stores_on_a_loaded_cache_are_merged_at_save_as_a_fresh_cache_writes_them(
    tmp_path: Path,
) -> None:
    """New keys before, between and after the old ones, a changed one, a racy one and unused
    ones, stored into a cache loaded as blobs: the file saved is byte for byte the one a cache
    filled from scratch with the same entries writes."""
    old = {f"k{i:03d}": (_fake_stat(i), f"{i:064x}") for i in range(0, 200, 2)}
    first = StatCache(tmp_path / "cache")
    for key, (st, digest) in old.items():
        first.store(key, st, digest)
    first.save()
    loaded = StatCache(tmp_path / "cache")
    want = dict(old)
    for i in (-1, 1, 3, 99, 151, 199, 250):  # -1 sorts first ("k-01"), 250 last
        want[f"k{i:03d}"] = (_fake_stat(1000 + i), f"{1000 + i:064x}")
        loaded.store(f"k{i:03d}", *want[f"k{i:03d}"])
    want["k010"] = (_fake_stat(5000), "e" * 64)
    loaded.store("k010", *want["k010"])
    loaded.store("k020", _fake_stat(20, time.time_ns()), "f" * 64)  # modified just now: forgotten
    del want["k020"]
    for key in sorted(old)[-10:]:
        del want[key]  # never looked up: dropped as gone
    assert [loaded.lookup(k, st) for k, (st, _) in sorted(want.items())[:40]] == [
        digest for _, (_, digest) in sorted(want.items())[:40]
    ]
    for key in want.keys() & old.keys():
        loaded.lookup(key, old[key][0])
    loaded.drop_unused()
    loaded.save()
    scratch = StatCache(tmp_path / "scratch")
    for key, (st, digest) in want.items():
        scratch.store(key, st, digest)
    scratch.save()
    assert _stored(tmp_path / "cache")[:5] == _stored(tmp_path / "scratch")[:5]
    assert cached_paths(tmp_path / "cache") == sorted(want)
    again = StatCache(tmp_path / "cache")
    assert again.lookup_listing(
        sorted(want), StatColumn.of([want[k][0] for k in sorted(want)])
    ) == [want[k][1] for k in sorted(want)]


def test_a_listing_with_new_files_finds_the_old_ones_in_the_blobs(tmp_path: Path) -> None:
    old = {f"k{i:03d}": (_fake_stat(i), f"{i:064x}") for i in range(0, 100, 2)}
    first = StatCache(tmp_path / "cache")
    for key, (st, digest) in old.items():
        first.store(key, st, digest)
    first.save()
    keys = [f"k{i:03d}" for i in range(100)]
    stats = StatColumn.of([_fake_stat(i if i != 50 else 7) for i in range(100)])
    found = StatCache(tmp_path / "cache").lookup_listing(keys, stats)
    assert found == [f"{i:064x}" if i % 2 == 0 and i != 50 else None for i in range(100)]
