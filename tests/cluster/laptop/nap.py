"""A step that holds its compute target a few seconds."""

import sys
import time

time.sleep(float(sys.argv[1]))
