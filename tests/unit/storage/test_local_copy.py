"""Local copies with the kernel's primitives: identical bytes by every path, the fallbacks,
nothing visible (not even a partial) when a copy fails half-way; and the byte comparison
that lets an overwrite leave an identical file alone."""

from __future__ import annotations

import errno
import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlpipelines.storage import StoreLocation, local_copy
from mlpipelines.storage.file_copy import copy_local
from mlpipelines.storage.local_copy import FICLONE, METHODS, copy_into_new_file, same_bytes
from mlpipelines.storage.transfer import copy

SIZES = [0, 1, 4096 + 3, 3 * 1024 * 1024 + 17]


def random_file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def clones_here(folder: Path) -> bool:
    """Whether this filesystem takes a FICLONE, asked directly."""
    a, b = random_file(folder / "probe-a", 4096), folder / "probe-b"
    with open(a, "rb") as src, open(b, "wb") as dst:
        try:
            fcntl.ioctl(dst.fileno(), FICLONE, src.fileno())
            return True
        except OSError:
            return False
        finally:
            a.unlink()
            b.unlink()


@pytest.mark.parametrize("method", METHODS[1:])
@pytest.mark.parametrize("size", SIZES)
def test_each_primitive_alone_copies_identical_bytes(tmp_path, method, size):
    src = random_file(tmp_path / "src.bin", size)
    used = copy_local(str(src), str(tmp_path / "out" / "dst.bin"), methods=(method,))
    assert used == method
    assert (tmp_path / "out" / "dst.bin").read_bytes() == src.read_bytes()
    assert visible(tmp_path / "out") == ["dst.bin"]


def test_the_default_chain_clones_where_it_can_else_copies_in_the_kernel(tmp_path):
    src = random_file(tmp_path / "src.bin", 1024 * 1024 + 5)
    used = copy_local(str(src), str(tmp_path / "dst.bin"))
    assert used == ("reflink" if clones_here(tmp_path) else "copy_file_range")
    assert (tmp_path / "dst.bin").read_bytes() == src.read_bytes()


def test_a_refused_reflink_falls_back_and_alone_fails_whole(tmp_path):
    if clones_here(tmp_path):
        pytest.skip("this filesystem clones: no refusal to see")
    src = random_file(tmp_path / "src.bin", 10_000)
    assert copy_local(str(src), str(tmp_path / "a.bin"), methods=("reflink", "sendfile")) == (
        "sendfile"
    )
    assert (tmp_path / "a.bin").read_bytes() == src.read_bytes()
    with pytest.raises(OSError) as err:
        copy_local(str(src), str(tmp_path / "b.bin"), methods=("reflink",))
    assert err.value.errno == errno.EOPNOTSUPP
    assert visible(tmp_path) == ["a.bin", "src.bin"]


def test_a_file_whose_size_says_zero_is_still_read_to_its_end(tmp_path):
    # /proc files report st_size 0; the in-kernel primitives copy nothing from them.
    used = copy_local("/proc/self/status", str(tmp_path / "status"))
    assert used == "read_write"
    assert (tmp_path / "status").read_text().startswith("Name:")


def test_a_copy_between_filesystems_goes_on_from_where_the_kernel_stopped(tmp_path):
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second filesystem here")
    src = random_file(shm / f"mlpipelines-test-{os.getpid()}.bin", 2 * 1024 * 1024 + 1)
    try:
        used = copy_local(str(src), str(tmp_path / "dst.bin"))
        assert used in METHODS[1:]
        assert (tmp_path / "dst.bin").read_bytes() == src.read_bytes()
    finally:
        src.unlink()


def test_progress_rises_to_the_size_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(local_copy, "CHUNK", 1024 * 1024)  # a smaller chunk, same code
    src = random_file(tmp_path / "src.bin", 5 * 1024 * 1024 + 7)
    seen: list[int] = []
    copy_local(str(src), str(tmp_path / "dst.bin"), seen.append, methods=("copy_file_range",))
    assert seen == sorted(seen) and len(seen) == 6
    assert seen[-1] == src.stat().st_size


def test_a_copy_stopped_half_way_leaves_nothing_visible(tmp_path, monkeypatch):
    monkeypatch.setattr(local_copy, "CHUNK", 1024 * 1024)
    src = random_file(tmp_path / "src.bin", 4 * 1024 * 1024)
    out = tmp_path / "out"
    out.mkdir()

    def stop(done: int) -> None:
        if done >= 2 * 1024 * 1024:
            raise KeyboardInterrupt  # what a task killed mid-copy raises

    for method in METHODS[1:]:
        with pytest.raises(KeyboardInterrupt):
            copy_local(str(src), str(out / "dst.bin"), stop, methods=(method,))
        assert visible(out) == []


def test_a_source_that_is_gone_leaves_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        copy_local(str(tmp_path / "gone.bin"), str(tmp_path / "out" / "dst.bin"))
    assert visible(tmp_path / "out") == []


def test_a_full_disk_half_way_leaves_the_old_file_and_no_partial(tmp_path):
    """The kernel refuses the write past a file-size limit (EFBIG), as it would on a full
    disk (ENOSPC): the destination keeps its old bytes and no partial is left."""
    src = random_file(tmp_path / "src.bin", 4 * 1024 * 1024)
    out = tmp_path / "out"
    out.mkdir()
    (out / "dst.bin").write_bytes(b"old")
    script = (
        "import resource, signal, sys\n"
        "from mlpipelines.storage.file_copy import copy_local\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, resource.RLIM_INFINITY))\n"
        "for method in sys.argv[3:]:\n"
        "    try:\n"
        "        copy_local(sys.argv[1], sys.argv[2], methods=(method,))\n"
        "    except OSError as exc:\n"
        "        print(method, exc.errno)\n"
    )
    methods = METHODS[1:]
    done = subprocess.run(
        [sys.executable, "-c", script, str(src), str(out / "dst.bin"), *methods],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == [w for m in methods for w in (m, str(errno.EFBIG))]
    assert visible(out) == ["dst.bin"]
    assert (out / "dst.bin").read_bytes() == b"old"


def test_durable_copies_the_same_bytes_and_refuses_an_existing_file(tmp_path):
    src = random_file(tmp_path / "src.bin", 100_000)
    assert copy_local(str(src), str(tmp_path / "dst.bin"), durable=True) in METHODS
    assert (tmp_path / "dst.bin").read_bytes() == src.read_bytes()
    with pytest.raises(FileExistsError):
        copy_into_new_file(str(src), str(tmp_path / "dst.bin"))


@pytest.mark.parametrize("where", [0, 1024 * 1024 - 1, 9 * 1024 * 1024 + 2])
def test_same_bytes_finds_one_changed_byte_anywhere(tmp_path, where):
    a = random_file(tmp_path / "a.bin", 9 * 1024 * 1024 + 3)  # more than one read chunk
    b = tmp_path / "b.bin"
    copy_local(str(a), str(b))
    assert same_bytes(str(a), str(b))
    changed = bytearray(b.read_bytes())
    changed[where] ^= 0xFF
    b.write_bytes(bytes(changed))
    assert not same_bytes(str(a), str(b))


def test_same_bytes_of_other_sizes_and_of_empty_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"")
    b.write_bytes(b"")
    assert same_bytes(str(a), str(b))
    b.write_bytes(b"\0")
    assert not same_bytes(str(a), str(b))


def test_an_overwrite_between_local_folders_recopies_only_what_differs(tmp_path):
    src_root, dst_root = tmp_path / "src", tmp_path / "dst"
    src_root.mkdir()
    for name in ("same.bin", "flipped.bin"):
        random_file(src_root / name, 100_000)
    src, dst = StoreLocation.local(src_root, "src"), StoreLocation.local(dst_root, "dst")
    copy(src, "", dst, "")
    flipped = bytearray((dst_root / "flipped.bin").read_bytes())
    flipped[-1] ^= 0x01  # same size, one bit off
    (dst_root / "flipped.bin").write_bytes(bytes(flipped))
    again = copy(src, "", dst, "", overwrite=True)
    assert (again.copied, again.skipped) == (1, 1)
    assert (dst_root / "flipped.bin").read_bytes() == (src_root / "flipped.bin").read_bytes()
