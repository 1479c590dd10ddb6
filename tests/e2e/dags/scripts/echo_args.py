"""Write what this script received (argv, AML_PARAMETER_* env) as JSON to the output folder."""

import json
import os
import sys

out = sys.argv[sys.argv.index("--out") + 1]
received = {
    "argv": sys.argv[1:],
    "env": {k: v for k, v in os.environ.items() if k.startswith("AML_PARAMETER_")},
}
with open(os.path.join(out, "received.json"), "w", encoding="utf-8") as sink:
    json.dump(received, sink)
print("received", received)
