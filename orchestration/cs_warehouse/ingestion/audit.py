"""The raw schema's tables: one per contract entity, and the load's own records beside them.

`raw._quarantine` keeps every rejected row (file, line, rule, raw text), `raw._load_audit` one row per file
per load (rows read = loaded + quarantined), `raw._reference_checks` the parents' state each day-partitioned
entity was last checked against, and `raw._orphans_<entity>` the typed events quarantined as orphans.
"""

from __future__ import annotations

import duckdb

from cs_warehouse.contract import Contract, Entity
from cs_warehouse.sqltext import quote_ident

RAW_SCHEMA = "raw"
ORPHAN_RULE = "orphan_reference"

QUARANTINE_DDL = f"""
create table if not exists {RAW_SCHEMA}._quarantine (
    load_id varchar not null,
    entity varchar not null,
    source_file varchar not null,
    line bigint,
    rule varchar not null,
    column_name varchar,
    violations varchar not null,
    raw_text varchar,
    quarantined_at timestamptz not null
)"""

AUDIT_DDL = f"""
create table if not exists {RAW_SCHEMA}._load_audit (
    load_id varchar not null,
    entity varchar not null,
    source_file varchar not null,
    file_sha256 varchar not null,
    encoding varchar,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    extra_headers varchar,
    loaded_at timestamptz not null,
    input_signature varchar
)"""

# The parents' state each day-partitioned entity was last checked against (see Loader._recheck_references).
REFERENCE_CHECKS_DDL = f"""
create table if not exists {RAW_SCHEMA}._reference_checks (
    load_id varchar not null,
    entity varchar not null,
    parents_signature varchar not null,
    rows_readmitted bigint not null,
    rows_orphaned bigint not null,
    checked_at timestamptz not null
)"""


def raw_table_ddl(entity: Entity) -> str:
    cols = [f"{quote_ident(c.raw_name)} {c.sql_type}" for c in entity.columns]
    cols += ["_source_file varchar not null", "_source_line bigint not null", "_load_id varchar not null"]
    if entity.partitioned_by_day:
        cols.append("_partition_date date not null")
    return f"create table if not exists {RAW_SCHEMA}.{entity.raw_table} ({', '.join(cols)})"


def orphans_table(entity: Entity) -> str:
    return f"{RAW_SCHEMA}._orphans_{entity.raw_table}"


def ensure_raw_schema(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    con.execute(QUARANTINE_DDL)
    con.execute(AUDIT_DDL)
    con.execute(REFERENCE_CHECKS_DDL)
    for entity in contract.entities.values():
        con.execute(raw_table_ddl(entity))
        if entity.partitioned_by_day:
            con.execute(
                f"create table if not exists {orphans_table(entity)} as from {RAW_SCHEMA}.{entity.raw_table} limit 0"
            )
