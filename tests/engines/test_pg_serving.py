"""The PostgreSQL serving target, against a real server (`make test-postgres` starts one on loopback):
the marts arrive in schema `marts`, a second publish replaces them whole, and `cs_bi_reader` can read the
marts and nothing else."""

from __future__ import annotations

import os

import duckdb
import psycopg2
import pytest
from psycopg2 import errors

from tests.engines.test_cross_engine import _postgres_or_skip

pytestmark = pytest.mark.postgres


def make_source(path, mrr: float) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create schema raw")
        con.execute(
            "create table marts.mart_kpi_monthly as select date '2026-09-01' as month, "
            f"cast({mrr} as decimal(18, 2)) as mrr, 0.0427::double as logo_churn_rate, 'FY2026' as label"
        )
        con.execute("create table marts.mart_mrr_movements as select 'A1' as account_id, 'new' as movement")
        con.execute("create table raw.contacts as select 'Yamada' as last_name")


def test_reader_sees_the_marts_and_nothing_else(tmp_path, monkeypatch):
    postgres = _postgres_or_skip()
    from cs_warehouse.engines.pg_serving import READER_PASSWORD_ENV, READER_ROLE, publish_marts_postgres

    monkeypatch.setenv(READER_PASSWORD_ENV, "reader-" + tmp_path.name[-12:])
    database = os.environ.get("CSW_PG_SERVING_DATABASE") or postgres.connection_settings()["dbname"]

    first, second = tmp_path / "first.duckdb", tmp_path / "second.duckdb"
    make_source(first, 1000)
    make_source(second, 2500)
    published = publish_marts_postgres(first, database=database)
    assert published.tables == {"mart_kpi_monthly": 1, "mart_mrr_movements": 1}
    publish_marts_postgres(second, database=database)

    owner = postgres.connect(dbname=database)
    try:
        with owner, owner.cursor() as cur:
            # Things the reader must not see: a raw schema and a table in public beside the marts.
            cur.execute("create schema if not exists raw")
            cur.execute("create table if not exists raw.contacts (last_name text)")
            cur.execute("create table if not exists public.notes (body text)")
            cur.execute("select nspname from pg_namespace where nspname like 'marts%'")
            assert [r[0] for r in cur.fetchall()] == ["marts"], "staging or retired schemas left behind"
    finally:
        owner.close()

    reader = postgres.connect(dbname=database, user=READER_ROLE, password=os.environ[READER_PASSWORD_ENV])
    reader.autocommit = True
    try:
        with reader.cursor() as cur:
            cur.execute("select mrr, logo_churn_rate from marts.mart_kpi_monthly")
            assert [(float(m), r) for m, r in cur.fetchall()] == [(2500.0, 0.0427)]
            for statement in (
                "select * from raw.contacts",
                "select * from public.notes",
                "create table marts.mine (x int)",
                "create table public.mine (x int)",
                "delete from marts.mart_mrr_movements",
            ):
                with pytest.raises(errors.InsufficientPrivilege):
                    cur.execute(statement)
    finally:
        reader.close()

    with pytest.raises(psycopg2.OperationalError):
        postgres.connect(dbname=database, user=READER_ROLE, password="wrong").close()
