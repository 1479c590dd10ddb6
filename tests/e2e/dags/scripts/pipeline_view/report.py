"""Read the model and print it."""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True)
args = parser.parse_args()

with open(os.path.join(args.model, "model.txt"), encoding="utf-8") as source:
    print("model:", source.read().strip())
