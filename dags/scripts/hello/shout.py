"""Read the greeting the previous step wrote and shout it."""

import argparse
import os

from mlpipelines import Run

parser = argparse.ArgumentParser()
parser.add_argument("--message", required=True)
args = parser.parse_args()

with open(os.path.join(args.message, "message.txt"), encoding="utf-8") as source:
    text = source.read()
print(text.upper() + "!")
Run.get_context().log("message_length", len(text))
