"""Listings from outside: only safe relative paths and well-formed digests pass."""

from __future__ import annotations

import pytest

from mlpipelines.snapshot import ALGORITHM
from mlpipelines.snapshot.listing import (
    ListingError,
    check_files,
    check_hex,
    check_path,
    parse_digest,
)

HEX = "ab" * 32


@pytest.mark.parametrize(
    "path",
    ["../x", "a/../b", "/etc/passwd", "a\\b", "a\x00b", "", "a//b", "./a", "a/.", "a/"],
)
def test_paths_that_could_leave_the_folder_are_refused(path):
    with pytest.raises(ListingError):
        check_path(path)


@pytest.mark.parametrize("path", ["a.py", "pkg/mod.py", "deep/er/file name ü.txt", ".hidden"])
def test_relative_posix_paths_pass(path):
    assert check_path(path) == path


@pytest.mark.parametrize("value", ["AB" * 32, "ab" * 31, "ab" * 33, "zz" * 32, 12, None, "../x"])
def test_digests_are_64_lowercase_hex_digits(value):
    with pytest.raises(ListingError):
        check_hex(value)


def test_snapshot_digests_name_this_hosts_algorithm():
    assert parse_digest(f"{ALGORITHM}:{HEX}") == (ALGORITHM, HEX)
    other = "sha256" if ALGORITHM != "sha256" else "blake3"
    with pytest.raises(ListingError, match="blake3 package"):
        parse_digest(f"{other}:{HEX}")
    with pytest.raises(ListingError):
        parse_digest(HEX)


def test_a_listing_is_an_object_of_paths_to_digests_without_file_folder_clashes():
    assert check_files({"b.py": HEX, "a/c.py": HEX}) == {"a/c.py": HEX, "b.py": HEX}
    with pytest.raises(ListingError, match="JSON object"):
        check_files([["a", HEX]])
    with pytest.raises(ListingError, match="as a file and as a folder"):
        check_files({"a": HEX, "a/b/c.py": HEX})
    with pytest.raises(ListingError, match="more than 1"):
        check_files({"a": HEX, "b": HEX}, max_files=1)
