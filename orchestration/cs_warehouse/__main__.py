import sys

from cs_warehouse.cli import main

sys.exit(main())
