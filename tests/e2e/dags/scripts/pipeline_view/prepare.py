"""Write a small CSV and its row count; log the rows."""

import argparse
import os

from mlpipelines.azureml.core import Run

parser = argparse.ArgumentParser()
parser.add_argument("--rows", type=int, required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

os.makedirs(os.path.join(args.out, "parts"), exist_ok=True)
with open(os.path.join(args.out, "data.csv"), "w", encoding="utf-8") as sink:
    sink.write("x,y\n" + "".join(f"{i},{i % 3}\n" for i in range(args.rows)))
with open(os.path.join(args.out, "parts", "count.txt"), "w", encoding="utf-8") as sink:
    sink.write(str(args.rows))
Run.get_context().log("rows", args.rows)
