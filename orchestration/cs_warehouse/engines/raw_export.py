"""Copy the raw schema from the DuckDB warehouse to another engine.

Ingestion stays in DuckDB on every target, so validation, quarantine and the load audit are one code path;
only the typed, accepted rows move on. DuckDB writes each raw table to a file (CSV for PostgreSQL's COPY,
Parquet for Spark), and the engine loads it into its own `raw` schema, replacing the previous copy. The
quarantine and audit tables stay behind: they hold rejected source text (possibly personal data) and no
model reads them.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cs_warehouse.engines import postgres
from cs_warehouse.ingestion.audit import RAW_SCHEMA
from cs_warehouse.sqltext import quote_ident, sql_literal

POSTGRES_TYPES = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "DOUBLE": "double precision",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "JSON": "jsonb",
}
DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")


@dataclass(frozen=True)
class RawTable:
    name: str
    columns: list[tuple[str, str]]  # (name, DuckDB type)
    rows: int


@dataclass(frozen=True)
class LoadResult:
    target: str
    tables: dict[str, int]
    seconds: float


def raw_tables(con: duckdb.DuckDBPyConnection) -> list[RawTable]:
    names = [
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = ? and not starts_with(table_name, '_') "
            "order by table_name",
            [RAW_SCHEMA],
        ).fetchall()
    ]
    tables = []
    for name in names:
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ? "
            "order by column_index",
            [RAW_SCHEMA, name],
        ).fetchall()
        rows = con.execute(f"select count(*) from {RAW_SCHEMA}.{quote_ident(name)}").fetchone()[0]
        tables.append(RawTable(name, columns, rows))
    return tables


def postgres_type(duckdb_type: str) -> str:
    match = DECIMAL.match(duckdb_type)
    if match:
        return f"numeric({match.group(1)}, {match.group(2)})"
    try:
        return POSTGRES_TYPES[duckdb_type]
    except KeyError:
        raise ValueError(f"no PostgreSQL type for the DuckDB type {duckdb_type}") from None


def _export(con: duckdb.DuckDBPyConnection, table: RawTable, path: Path, options: str) -> None:
    con.execute(f"copy {RAW_SCHEMA}.{quote_ident(table.name)} to {sql_literal(str(path))} ({options})")


def load_raw_postgres(warehouse_path: Path, work_dir: Path | None = None) -> LoadResult:
    """Replace PostgreSQL's raw schema with the warehouse's, in one transaction: a concurrent dbt run sees
    either the old or the new raw tables, never a mix."""
    started = time.monotonic()
    loaded: dict[str, int] = {}
    with (
        tempfile.TemporaryDirectory(dir=work_dir) as tmp,
        duckdb.connect(str(warehouse_path), read_only=True) as con,
    ):
        # Timestamps leave DuckDB as text; UTC makes that text unambiguous for PostgreSQL's parser.
        con.execute("set TimeZone = 'UTC'")
        tables = raw_tables(con)
        pg = postgres.connect()
        try:
            with pg, pg.cursor() as cur:
                cur.execute(f"create schema if not exists {RAW_SCHEMA}")
                for table in tables:
                    path = Path(tmp) / f"{table.name}.csv"
                    _export(con, table, path, "format csv, header false")
                    target = f"{RAW_SCHEMA}.{quote_ident(table.name)}"
                    columns = ", ".join(f"{quote_ident(c)} {postgres_type(t)}" for c, t in table.columns)
                    # cascade: the staging views over this table are dropped with it; dbt recreates them.
                    cur.execute(f"drop table if exists {target} cascade")
                    cur.execute(f"create table {target} ({columns})")
                    with open(path, encoding="utf-8") as fh:
                        cur.copy_expert(f"copy {target} from stdin with (format csv)", fh)
                    cur.execute(f"analyze {target}")
                    loaded[table.name] = table.rows
        finally:
            pg.close()
    return LoadResult("postgres", loaded, time.monotonic() - started)


def load_raw_spark(warehouse_path: Path, work_dir: Path | None = None) -> LoadResult:
    """Create Spark's raw tables from Parquet written by DuckDB (managed tables in the Spark warehouse)."""
    from cs_warehouse.engines.spark import get_session

    started = time.monotonic()
    loaded: dict[str, int] = {}
    spark = get_session()
    with (
        tempfile.TemporaryDirectory(dir=work_dir) as tmp,
        duckdb.connect(str(warehouse_path), read_only=True) as con,
    ):
        con.execute("set TimeZone = 'UTC'")
        spark.sql(f"create database if not exists {RAW_SCHEMA}")
        for table in raw_tables(con):
            path = Path(tmp) / f"{table.name}.parquet"
            _export(con, table, path, "format parquet")
            spark.read.parquet(str(path)).write.mode("overwrite").format("parquet").saveAsTable(
                f"{RAW_SCHEMA}.{table.name}"
            )
            loaded[table.name] = table.rows
    return LoadResult("spark", loaded, time.monotonic() - started)


def load_raw(target: str, warehouse_path: Path, work_dir: Path | None = None) -> LoadResult:
    if target == "postgres":
        return load_raw_postgres(warehouse_path, work_dir)
    if target == "spark":
        return load_raw_spark(warehouse_path, work_dir)
    raise ValueError(f"unknown target {target!r}; expected postgres or spark")
