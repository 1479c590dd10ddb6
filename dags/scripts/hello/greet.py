"""Write a greeting into the step's output folder."""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--greeting", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "message.txt"), "w", encoding="utf-8") as sink:
    sink.write(f"{args.greeting}, world")
print(f"greeting written to {args.out}")
