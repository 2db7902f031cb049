"""Serve the marts from PostgreSQL, for BI tools that need a network database.

Each night the marts are copied from DuckDB (the serving copy, else the warehouse) into a new schema, then
swapped in by renaming schemas inside one transaction: a BI query sees yesterday's marts or tonight's,
never a mix, and a failed publish leaves yesterday's in place. The role `cs_bi_reader` may use schema
`marts` and select its tables, nothing else: no raw data, no staging, no personal data.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cs_warehouse import serving
from cs_warehouse.engines import postgres
from cs_warehouse.engines.raw_export import postgres_type
from cs_warehouse.sqltext import quote_ident, sql_literal

SCHEMA = "marts"
READER_ROLE = "cs_bi_reader"
READER_PASSWORD_ENV = "CSW_BI_READER_PASSWORD"


@dataclass(frozen=True)
class ServingResult:
    schema: str
    tables: dict[str, int]
    published_at: str


def _tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, list[tuple[str, str]]]]:
    names = con.execute(
        "select table_name from duckdb_tables() where schema_name = ? order by table_name", [SCHEMA]
    ).fetchall()
    return [
        (
            name,
            con.execute(
                "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ? "
                "order by column_index",
                [SCHEMA, name],
            ).fetchall(),
        )
        for (name,) in names
    ]


def _ensure_reader(cur, password: str) -> None:
    cur.execute("select 1 from pg_roles where rolname = %s", [READER_ROLE])
    verb = "alter" if cur.fetchone() else "create"
    # NOINHERIT and no memberships: the role's rights are exactly the grants below.
    cur.execute(f"{verb} role {READER_ROLE} login noinherit nocreatedb nocreaterole password %s", [password])


def publish_marts_postgres(source_path: Path, database: str | None = None) -> ServingResult:
    """Publish every table of DuckDB schema `marts` at `source_path` to PostgreSQL schema `marts`.

    The database is CSW_PG_SERVING_DATABASE, else the dbt target's (CSW_PG_DATABASE); keep them apart when
    dbt also builds on that server, since the dbt build owns a schema of the same name."""
    password = os.environ.get(READER_PASSWORD_ENV)
    if not password:
        raise RuntimeError(f"{READER_PASSWORD_ENV} is not set: the BI reader role needs a password")
    database = database or os.environ.get("CSW_PG_SERVING_DATABASE") or None
    overrides = {"dbname": database} if database else {}
    published_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    incoming = f"{SCHEMA}__incoming_{uuid.uuid4().hex[:8]}"
    retired = f"{SCHEMA}__retired_{uuid.uuid4().hex[:8]}"
    tables: dict[str, int] = {}

    pg = postgres.connect(**overrides)
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            serving.connect(source_path) as con,
        ):
            con.execute("set TimeZone = 'UTC'")
            # Loading happens in its own transaction, beside the live schema: readers are not blocked.
            with pg, pg.cursor() as cur:
                cur.execute(f"create schema {quote_ident(incoming)}")
                for table, columns in _tables(con):
                    path = Path(tmp) / f"{table}.csv"
                    con.execute(
                        f"copy {SCHEMA}.{quote_ident(table)} to {sql_literal(str(path))} (format csv, header false)"
                    )
                    target = f"{quote_ident(incoming)}.{quote_ident(table)}"
                    ddl = ", ".join(f"{quote_ident(c)} {postgres_type(t)}" for c, t in columns)
                    cur.execute(f"create table {target} ({ddl})")
                    with open(path, encoding="utf-8") as fh:
                        cur.copy_expert(f"copy {target} from stdin with (format csv)", fh)
                    tables[table] = con.execute(f"select count(*) from {SCHEMA}.{quote_ident(table)}").fetchone()[0]
                cur.execute(f"comment on schema {quote_ident(incoming)} is %s", [f"published {published_at}"])
        with pg, pg.cursor() as cur:
            _ensure_reader(cur, password)
            cur.execute("select 1 from pg_namespace where nspname = %s", [SCHEMA])
            if cur.fetchone():
                cur.execute(f"alter schema {SCHEMA} rename to {quote_ident(retired)}")
            cur.execute(f"alter schema {quote_ident(incoming)} rename to {SCHEMA}")
            cur.execute(f"revoke all on schema {SCHEMA} from public")
            cur.execute(f"grant usage on schema {SCHEMA} to {READER_ROLE}")
            cur.execute(f"grant select on all tables in schema {SCHEMA} to {READER_ROLE}")
            cur.execute(f"drop schema if exists {quote_ident(retired)} cascade")
    except BaseException:
        # The swap never happened: drop the half-loaded schema, yesterday's marts stay.
        pg.rollback()
        with pg, pg.cursor() as cur:
            cur.execute(f"drop schema if exists {quote_ident(incoming)} cascade")
        raise
    finally:
        pg.close()
    return ServingResult(SCHEMA, tables, published_at)
