"""Upper-case the raw rows; record that this script ran (and whether notes.txt was staged)."""

import argparse
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument("--raw")
parser.add_argument("--out")
parser.add_argument("--counter")
parser.add_argument("--hang-flag")
args = parser.parse_args()
with open(args.counter, "a") as sink:
    sink.write(f"clean notes={os.path.exists('notes.txt')}\n")
with open(args.raw) as source:
    text = source.read()
with open(os.path.join(args.out, "cleaned.txt"), "w") as sink:
    sink.write(text.upper())
    sink.flush()
    if os.path.exists(args.hang_flag):
        with open(args.hang_flag + ".pids", "w") as pids:
            pids.write(f"{os.getpid()} {os.getppid()}")
        time.sleep(300)
