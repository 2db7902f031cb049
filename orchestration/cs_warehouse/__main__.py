from cs_warehouse.cli import entry_point

entry_point()
