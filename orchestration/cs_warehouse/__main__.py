import logging
import os
import sys

from cs_warehouse.cli import main

code = main()
# Everything the command opened is closed by now; flush what it wrote and leave without the interpreter's
# teardown, where DuckDB's bindings would list objects other libraries still hold (nanobind's "leaked N
# instances" dump) after the summary.
logging.shutdown()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
