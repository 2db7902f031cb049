"""Table fingerprints: a row count and an order-independent hash of every row, per table.

Two warehouses whose fingerprints are equal hold the same rows in every compared table, whatever order the
rows were written in. Used to show that a rebuild, a second nightly run or a backfill leaves exactly the
tables a full build leaves:

    cs-warehouse fingerprint warehouse/cs_warehouse.duckdb > before.json
    cs-warehouse fingerprint warehouse/cs_warehouse.duckdb --compare before.json

Columns that record *in which load* a row arrived (`_load_id` and the incremental models' `_..._load_id`
bookkeeping) are left out: a backfill brings the same rows in other loads. Everything else, including the raw
tables' source file and line, is compared. Tables whose name starts with an underscore
(the load audit, quarantine, publication record) describe runs, not data, and are left out too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

DEFAULT_SCHEMAS = ("raw", "staging", "intermediate", "marts")


def is_load_column(name: str) -> bool:
    """`_load_id`, `_session_load_id`, `_last_load_id`: which load brought a row, not what the row says."""
    return name.startswith("_") and name.endswith("load_id")


def table_fingerprints(
    con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...] = DEFAULT_SCHEMAS
) -> dict[str, list[int]]:
    """{"schema.table": [row count, sum of row hashes]} for the base tables of the given schemas."""
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where schema_name in (select unnest(?)) and not starts_with(table_name, '_') order by 1, 2",
        [list(schemas)],
    ).fetchall()
    out: dict[str, list[int]] = {}
    for schema, table in tables:
        columns = [
            name
            for (name,) in con.execute(
                "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
                "order by column_index",
                [schema, table],
            ).fetchall()
            if not is_load_column(name)
        ]
        row = ", ".join(f'"{c}"' for c in columns)
        count, total = con.execute(
            f'select count(*), coalesce(sum(hash({row})), 0) from "{schema}"."{table}"'
        ).fetchall()[0]
        out[f"{schema}.{table}"] = [int(count), int(total)]
    return out


def warehouse_fingerprints(path: Path, schemas: tuple[str, ...] = DEFAULT_SCHEMAS) -> dict[str, list[int]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return table_fingerprints(con, schemas)


def differences(left: dict[str, list[int]], right: dict[str, list[int]]) -> list[str]:
    """One line per table that is missing on one side or holds other rows."""
    lines = []
    for name in sorted(left.keys() | right.keys()):
        if name not in right:
            lines.append(f"{name}: only in the first")
        elif name not in left:
            lines.append(f"{name}: only in the second")
        elif left[name] != right[name]:
            lines.append(f"{name}: {left[name][0]} rows vs {right[name][0]} rows, contents differ")
    return lines


def compare_command(warehouse: Path, compare: Path | None, schemas: tuple[str, ...] = DEFAULT_SCHEMAS) -> int:
    """`cs-warehouse fingerprint`: the fingerprints as JSON on stdout, or with a saved one to compare, the tables
    that differ (exit code 1 when any)."""
    current = warehouse_fingerprints(warehouse, schemas)
    if compare is None:
        json.dump(current, sys.stdout, indent=1, sort_keys=True)
        print()
        return 0
    diff = differences(json.loads(compare.read_text()), current)
    for line in diff:
        print(line)
    print(f"{len(current)} tables compared, {len(diff)} differ")
    return 1 if diff else 0
