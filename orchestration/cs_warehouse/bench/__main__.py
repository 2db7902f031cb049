import sys

from cs_warehouse.bench.cli import main

sys.exit(main())
