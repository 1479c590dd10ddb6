"""Step 3: each number shifted by the seed."""

import argparse
import os


def _read(path: str) -> str:
    with open(path) as source:
        return source.read()


parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--seed", type=int, required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()
numbers = [int(n) for n in _read(os.path.join(args.data, "numbers.txt")).split()]
os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "values.txt"), "w") as sink:
    sink.write("\n".join(str(n + args.seed) for n in numbers) + "\n")
