"""Partial uploads on the server: appended only at their length, so repeats and resumes are
safe; a finish that failed can run again."""

from __future__ import annotations

import os
import threading
import time

import pytest

from mlpipelines.errors import UserErrorException
from mlpipelines.storage.upload_staging import STALE_SECONDS, OffsetMismatch, UploadStaging

DIGEST = "cd" * 32


def test_chunks_append_only_at_the_length_received(tmp_path):
    staging = UploadStaging(tmp_path)
    finished = []
    assert staging.receive(DIGEST, 6, 0, b"abc", finished.append) == 3
    with pytest.raises(OffsetMismatch) as repeat:
        staging.receive(DIGEST, 6, 0, b"abc", finished.append)  # the same chunk again
    assert repeat.value.received == 3
    assert staging.state(DIGEST).received == 3
    assert staging.receive(DIGEST, 6, 3, b"def", lambda p: finished.append(p.read_bytes())) == 6
    assert finished == [b"abcdef"]


def test_a_chunk_past_the_declared_size_or_offset_is_refused(tmp_path):
    staging = UploadStaging(tmp_path)
    with pytest.raises(UserErrorException, match="does not fit"):
        staging.receive(DIGEST, 2, 0, b"abc", print)
    with pytest.raises(OffsetMismatch) as early:
        staging.receive(DIGEST, 9, 4, b"abc", print)
    assert early.value.received == 0
    assert staging.state(DIGEST) is None, "a refused resume creates nothing"


def test_a_failed_finish_keeps_the_bytes_and_an_empty_last_chunk_retries_it(tmp_path):
    staging = UploadStaging(tmp_path)

    def unreachable(path):
        raise ConnectionError("datastore down")

    with pytest.raises(ConnectionError):
        staging.receive(DIGEST, 3, 0, b"xyz", unreachable)
    assert staging.state(DIGEST).received == 3
    taken = []
    assert staging.receive(DIGEST, 3, 3, b"", lambda p: taken.append(p.read_bytes())) == 3
    assert taken == [b"xyz"]


def test_concurrent_senders_of_one_content_never_interleave(tmp_path):
    staging = UploadStaging(tmp_path)
    data = bytes(range(256)) * 64
    chunks = [data[i : i + 512] for i in range(0, len(data), 512)]
    done = []

    def send() -> None:
        offset = 0
        while offset < len(data):
            try:
                offset = staging.receive(
                    DIGEST,
                    len(data),
                    offset,
                    chunks[offset // 512],
                    lambda p: done.append(p.read_bytes()),
                )
            except OffsetMismatch as exc:
                offset = exc.received

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert done == [data], "one finish, of the bytes in order"


def test_stale_partial_uploads_are_dropped_when_another_starts(tmp_path):
    staging = UploadStaging(tmp_path)
    staging.receive(DIGEST, 10, 0, b"abc", print)
    (old,) = staging.folder.glob("*.part")
    past = time.time() - STALE_SECONDS - 60
    os.utime(old, (past, past))
    staging.receive("ef" * 32, 10, 0, b"abc", print)
    assert staging.state(DIGEST) is None
