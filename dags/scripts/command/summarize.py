"""Sum the squares the shell step wrote, and log the sum as a metric."""

import argparse
import csv
import os

from mlpipelines import Run

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
args = parser.parse_args()

with open(os.path.join(args.data, "squares.csv"), encoding="utf-8") as source:
    total = sum(int(row["square"]) for row in csv.DictReader(source))
print(f"sum of squares: {total}")
Run.get_context().log("sum_of_squares", total)
