"""Write half an output and this process's pid, then sleep until killed."""

import argparse
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument("--pid-file", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()
with open(os.path.join(args.out, "partial.bin"), "wb") as sink:
    sink.write(b"x" * 1024)
with open(args.pid_file + ".tmp", "w") as sink:
    sink.write(str(os.getpid()))
os.replace(args.pid_file + ".tmp", args.pid_file)
time.sleep(300)
