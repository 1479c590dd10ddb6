"""Step 4: the two branches added line by line."""

import argparse
import os


def _read(path: str) -> str:
    with open(path) as source:
        return source.read()


parser = argparse.ArgumentParser()
parser.add_argument("--a", required=True)
parser.add_argument("--b", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()
a = [int(n) for n in _read(os.path.join(args.a, "values.txt")).split()]
b = [int(n) for n in _read(os.path.join(args.b, "values.txt")).split()]
os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "values.txt"), "w") as sink:
    sink.write("\n".join(str(x + y) for x, y in zip(a, b, strict=True)) + "\n")
