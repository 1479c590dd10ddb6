"""Write half an output, complain on stderr, and exit with code 3."""

import os
import sys

out = sys.argv[sys.argv.index("--out") + 1]
with open(os.path.join(out, "partial.txt"), "w") as sink:
    sink.write("half-written")
for i in range(40):
    print(f"noise line {i}", file=sys.stderr)
print("FATAL: the widget is broken (marker-7f3a)", file=sys.stderr)
sys.exit(3)
