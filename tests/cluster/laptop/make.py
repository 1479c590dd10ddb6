"""Step 1: the run's numbers, from its seed."""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)
numbers = [(args.seed * 7919 + i * 104729) % 100003 for i in range(2000)]
with open(os.path.join(args.out, "numbers.txt"), "w") as sink:
    sink.write("\n".join(map(str, numbers)) + "\n")
