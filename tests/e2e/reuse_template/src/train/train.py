"""'Train': sum the features; log the total."""

import argparse
import os

from mlpipelines import Run

parser = argparse.ArgumentParser()
parser.add_argument("--data")
parser.add_argument("--out")
parser.add_argument("--counter")
args = parser.parse_args()
with open(args.counter, "a") as sink:
    sink.write("train\n")
with open(os.path.join(args.data, "features.txt")) as source:
    total = sum(int(x) for x in source.read().split())
with open(os.path.join(args.out, "model.txt"), "w") as sink:
    sink.write(str(total))
Run.get_context().log("total", total)
