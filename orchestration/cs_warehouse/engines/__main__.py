"""`python -m cs_warehouse.engines <command>`.

load-raw --target postgres|spark   copy the DuckDB warehouse's raw schema to that engine
publish-postgres                   publish the marts to PostgreSQL schema `marts` for BI (read-only role)
"""

from __future__ import annotations

import argparse
import sys

from cs_warehouse.engines import TARGETS
from cs_warehouse.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cs_warehouse.engines", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load-raw", help="copy the raw schema from DuckDB to another engine")
    load.add_argument("--target", choices=TARGETS, required=True)
    commands.add_parser("publish-postgres", help="publish the marts to PostgreSQL for BI")
    args = parser.parse_args(argv)
    settings = Settings.from_env()

    if args.command == "load-raw":
        from cs_warehouse.engines.raw_export import load_raw

        result = load_raw(args.target, settings.warehouse_path)
        for table, rows in result.tables.items():
            print(f"  raw.{table}: {rows} rows")
        print(f"Loaded {len(result.tables)} raw tables into {result.target} in {result.seconds:.1f}s")
        return 0

    from cs_warehouse.engines.pg_serving import publish_marts_postgres

    source = settings.serving_path if settings.serving_path.exists() else settings.warehouse_path
    published = publish_marts_postgres(source)
    print(f"Published {len(published.tables)} marts to PostgreSQL schema {published.schema}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
