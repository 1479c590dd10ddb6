"""One step of the hand-written twin: inputs down from Azure Blob into a temp folder, the
step's script, its output up (``twin/<run id>/<output>/<file>`` in the container)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from azure.storage.blob import ContainerClient

SCRIPTS = Path(__file__).resolve().parent / "laptop"
INPUTS = {"make": [], "square": ["numbers"], "shift": ["numbers"],
          "join": ["squared", "shifted"], "total": ["joined"]}  # fmt: skip
OUTPUT = {"make": "numbers", "square": "squared", "shift": "shifted", "join": "joined",
          "total": "result"}  # fmt: skip


def arguments(step: str, seed: str, folders: dict[str, str], out: str) -> list[str]:
    given = {
        "make": ["--seed", seed],
        "square": ["--data", folders.get("numbers", "")],
        "shift": ["--data", folders.get("numbers", ""), "--seed", seed],
        "join": ["--a", folders.get("squared", ""), "--b", folders.get("shifted", "")],
        "total": ["--data", folders.get("joined", "")],
    }[step]
    return [*given, "--out", out]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step")
    parser.add_argument("--run", required=True)
    parser.add_argument("--seed", required=True)
    args = parser.parse_args()
    connection = json.loads(os.environ["AIRFLOW_CONN_WORKSPACEBLOBSTORE"])
    extra = connection["extra"]
    container = ContainerClient.from_connection_string(
        extra["connection_string"], extra["container"]
    )
    prefix = f"twin/{args.run}"
    with tempfile.TemporaryDirectory() as tmp:
        folders = {}
        for name in INPUTS[args.step]:
            folder = Path(tmp) / name
            folder.mkdir()
            for blob in container.list_blobs(name_starts_with=f"{prefix}/{name}/"):
                target = folder / blob.name.rsplit("/", 1)[1]
                target.write_bytes(container.download_blob(blob.name).readall())
            folders[name] = str(folder)
        out = Path(tmp) / "out"
        script = SCRIPTS / f"{args.step}.py"
        command = [sys.executable, str(script), *arguments(args.step, args.seed, folders, str(out))]
        subprocess.run(command, check=True)
        for file in out.iterdir():
            blob_name = f"{prefix}/{OUTPUT[args.step]}/{file.name}"
            with open(file, "rb") as data:
                container.upload_blob(blob_name, data, overwrite=True)


if __name__ == "__main__":
    main()
