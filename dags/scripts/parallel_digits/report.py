"""Read the scoring step's appended rows; print how many digits it got right."""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--inferences")
args = parser.parse_args()

with open(os.path.join(args.inferences, "parallel_run_step.txt")) as source:
    rows = [line.split(": ") for line in source.read().splitlines()]
right = sum(name.split("_label_")[1].split(".")[0] == predicted for name, predicted in rows)
print(f"scored {len(rows)} digits; accuracy: {right / len(rows):.3f}")
