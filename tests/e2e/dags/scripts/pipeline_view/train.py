"""'Train' on the prepared data: log an accuracy that grows with alpha, and a loss curve."""

import argparse
import os

from mlpipelines.azureml.core import Run

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--alpha", type=float, required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

with open(os.path.join(args.data, "data.csv"), encoding="utf-8") as source:
    rows = len(source.read().splitlines()) - 1
accuracy = round(1 - 1 / (2 + args.alpha), 4)
os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "model.txt"), "w", encoding="utf-8") as sink:
    sink.write(f"alpha={args.alpha} rows={rows}\n")
run = Run.get_context()
run.log("accuracy", accuracy)
for epoch in range(3):
    run.log("loss", round(1 / (epoch + 1 + args.alpha), 4))
