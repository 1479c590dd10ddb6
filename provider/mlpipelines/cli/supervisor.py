"""Starts Airflow's components as children of one process, the leader of a new process group.

``down`` sends SIGTERM to this process: it passes the signal to each component and waits for
them to shut down cleanly; whatever is left in the group (idle executor workers ignore
SIGTERM) is then killed by ``down``. Run as ``python -m mlpipelines.cli.supervisor SPEC_JSON``
in a new session; SPEC_JSON lists ``{"argv": [...], "log": path}`` entries.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from types import FrameType

GRACE_SECONDS = 20.0


def main(spec_json: str) -> int:
    children: list[subprocess.Popen[bytes]] = []
    stop_by: list[float] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        # Only signal here: waiting belongs to the loop below (Popen.wait is not reentrant).
        stop_by.append(time.monotonic() + GRACE_SECONDS)
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for entry in json.loads(spec_json):
        with open(entry["log"], "ab") as out:
            children.append(
                subprocess.Popen(
                    entry["argv"], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
                )
            )
    while any(child.poll() is None for child in children):
        if stop_by and time.monotonic() > stop_by[0]:
            for child in children:
                child.kill()
        time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
