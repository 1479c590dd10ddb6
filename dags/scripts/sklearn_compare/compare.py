"""Pick the model with the best test accuracy and copy it to the output."""

import argparse
import json
import os
import shutil

from mlpipelines import Run

parser = argparse.ArgumentParser()
parser.add_argument("--models", nargs="+", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

summaries = []
for folder in args.models:
    with open(os.path.join(folder, "summary.json")) as source:
        summaries.append((json.load(source), folder))
best, folder = max(summaries, key=lambda item: item[0]["accuracy"])

os.makedirs(args.out, exist_ok=True)
shutil.copy(os.path.join(folder, "model.pkl"), os.path.join(args.out, "model.pkl"))
with open(os.path.join(args.out, "best.json"), "w") as sink:
    json.dump({"best": best, "candidates": [s for s, _ in summaries]}, sink, indent=2)

run = Run.get_context()
run.log("best_model", best["model"])
run.log("best_accuracy", best["accuracy"])
for summary, _ in summaries:
    print(f"{summary['model']}: {summary['accuracy']:.4f}")
print(f"best: {best['model']}")
