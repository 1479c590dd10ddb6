"""scripts/bootstrap.sh tells a person how far a minutes-long install got, from pip's lines."""

from __future__ import annotations

import subprocess
from pathlib import Path

BOOTSTRAP = Path(__file__).resolve().parents[2] / "scripts" / "bootstrap.sh"


def test_pip_output_becomes_a_line_per_25_packages_and_the_install_step() -> None:
    function = BOOTSTRAP.read_text().split("show_progress() {", 1)[1].split("\n}\n", 1)[0]
    pip_lines = [f"Collecting pkg{i}>=1" for i in range(30)]
    pip_lines += [f"  Downloading pkg{i}.whl (1 MB)" for i in range(30)]
    pip_lines += [f"Requirement already satisfied: dep{i}" for i in range(20)]
    pip_lines += ["WARNING: Location '/x' is ignored", "ERROR: No matching distribution for q"]
    pip_lines += ["Installing collected packages: a, b, c", "Successfully installed a b c"]
    done = subprocess.run(
        ["bash", "-c", f"show_progress() {{{function}\n}}\nshow_progress"],
        input="\n".join(pip_lines) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    shown = [line.split(": ", 1)[-1] for line in done.stdout.splitlines()]
    assert shown == [
        "25 packages resolved ...",
        "50 packages resolved ...",
        "No matching distribution for q",
        "50 packages resolved; installing 3 of them (the longest part) ...",
        "installed.",
    ]
