"""Step 5: the total and a checksum of what it summed, logged as metrics."""

import argparse
import hashlib
import json
import os

from mlpipelines.azureml.core import Run


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as source:
        return source.read()


parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()
raw = _read_bytes(os.path.join(args.data, "values.txt"))
total = sum(int(n) for n in raw.split())
os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "result.json"), "w") as sink:
    json.dump({"total": total, "sha256": hashlib.sha256(raw).hexdigest()}, sink, sort_keys=True)
Run.get_context().log("total", total)
