"""Count the characters of each cleaned row."""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--data")
parser.add_argument("--out")
parser.add_argument("--counter")
args = parser.parse_args()
with open(args.counter, "a") as sink:
    sink.write("featurize\n")
with open(os.path.join(args.data, "cleaned.txt")) as source:
    rows = source.read().splitlines()
with open(os.path.join(args.out, "features.txt"), "w") as sink:
    sink.write("\n".join(str(len(row)) for row in rows))
