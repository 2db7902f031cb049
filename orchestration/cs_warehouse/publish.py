"""The publish gate: a read-only serving copy of the marts for BI, replaced atomically.

The nightly build writes the warehouse file; BI tools never open it. After every critical check passed,
the marts are copied into a new DuckDB file beside the serving copy, checkpointed, and renamed over it.
A rename is atomic: a reader that already has the old file open keeps reading the old marts (its open
file stays intact), a reader that opens afterwards gets the new ones, and no reader ever sees a half-written
table or holds a lock the build needs. A night that fails before the publish leaves yesterday's copy as is.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cs_warehouse.ingestion.validate import quote_ident, sql_literal

PUBLISHED_SCHEMAS = ("marts",)


@dataclass(frozen=True)
class PublishResult:
    serving_path: Path
    tables: dict[str, int]
    published_at: str


def _copy_comments(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> None:
    """Carry the dbt column docs (persisted as comments) into the serving copy, where BI users see them."""
    comment = con.execute(
        "select comment from duckdb_tables() where database_name = 'wh' and schema_name = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    target = f"{quote_ident(schema)}.{quote_ident(table)}"
    if comment and comment[0][0]:
        con.execute(f"comment on table {target} is {sql_literal(comment[0][0])}")
    for column, text in con.execute(
        "select column_name, comment from duckdb_columns() "
        "where database_name = 'wh' and schema_name = ? and table_name = ? and comment is not null",
        [schema, table],
    ).fetchall():
        con.execute(f"comment on column {target}.{quote_ident(column)} is {sql_literal(text)}")


def publish_serving_copy(
    warehouse_path: Path, serving_path: Path, run_id: str | None = None, baseline_entities: list[str] = ()
) -> PublishResult:
    """Copy the marts; `baseline_entities`: the snapshot raw tables whose row counts the gates compare with."""
    from cs_warehouse.gates import snapshot_row_counts

    serving_path.parent.mkdir(parents=True, exist_ok=True)
    staging_path = serving_path.with_name(f".{serving_path.name}.{uuid.uuid4().hex}.tmp")
    published_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    tables: dict[str, int] = {}
    try:
        with duckdb.connect(str(staging_path)) as con:
            con.execute(f"attach {sql_literal(str(warehouse_path))} as wh (read_only)")
            for schema in PUBLISHED_SCHEMAS:
                con.execute(f"create schema if not exists {quote_ident(schema)}")
                names = con.execute(
                    "select table_name from duckdb_tables() where database_name = 'wh' and schema_name = ? "
                    "order by table_name",
                    [schema],
                ).fetchall()
                for (table,) in names:
                    target = f"{quote_ident(schema)}.{quote_ident(table)}"
                    con.execute(f"create table {target} as select * from wh.{target}")
                    _copy_comments(con, schema, table)
                    tables[f"{schema}.{table}"] = con.execute(f"select count(*) from {target}").fetchall()[0][0]
            baseline = {"row_counts": snapshot_row_counts(con, list(baseline_entities), catalog="wh")}
            con.execute(
                "create table main._publication as "
                "select ? as published_at, ? as run_id, ? as tables_json, ? as baseline_json",
                [published_at, run_id, json.dumps(tables), json.dumps(baseline)],
            )
            con.execute("detach wh")
            con.execute("checkpoint")
        os.replace(staging_path, serving_path)
    finally:
        staging_path.unlink(missing_ok=True)
    status = {"status": "published", "published_at": published_at, "run_id": run_id, "tables": tables}
    (serving_path.parent / "publish_status.json").write_text(json.dumps(status, indent=2) + "\n")
    return PublishResult(serving_path, tables, published_at)


def record_failed_night(serving_path: Path, run_id: str | None, reasons: list[str]) -> Path:
    """Say why the serving copy was not replaced; the copy itself is not touched."""
    serving_path.parent.mkdir(parents=True, exist_ok=True)
    path = serving_path.parent / "last_failure.json"
    body = {
        "status": "not published",
        "failed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "run_id": run_id,
        "reasons": reasons,
        "serving_copy_kept": str(serving_path) if serving_path.exists() else None,
    }
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
    return path
