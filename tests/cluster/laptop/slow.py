"""A step that writes half its output, waits, then the rest: killed in between, nothing of
it may be visible."""

import argparse
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
parser.add_argument("--seconds", type=float, required=True)
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "part1.txt"), "w") as sink:
    sink.write("first half\n")
print("half written; waiting", flush=True)
time.sleep(args.seconds)
with open(os.path.join(args.out, "part2.txt"), "w") as sink:
    sink.write("second half\n")
