"""Readers of the serving copy in a process that keeps an older connection open still see each new publication."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from cs_warehouse import serving
from cs_warehouse.publish import publish_serving_copy
from cs_warehouse.report.data import published_at
from cs_warehouse.summary import write_summary

NIGHT_1_PUBLISHED_AT = "2026-09-29T17:00:00+00:00"


def make_warehouse(path: Path, night: int, mrr_per_account: int) -> None:
    """Marts for one complete month: three accounts of `mrr_per_account` each, one of them churned (August),
    and the running month (September), in the movements and in the monthly KPI table that summarises them."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(f"create or replace table marts.night as select {night} as night")
        con.execute(
            "create or replace table marts.mart_mrr_movements as select * from (values "
            f"(date '2026-08-01', true, 'a1', {mrr_per_account}, {mrr_per_account}, 'flat'), "
            f"(date '2026-08-01', true, 'a2', {mrr_per_account}, {mrr_per_account}, 'flat'), "
            f"(date '2026-08-01', true, 'a3', {mrr_per_account}, 0, 'churn'), "
            f"(date '2026-09-01', false, 'a1', {mrr_per_account}, 0, 'churn')"
            ") as t(month, is_complete, account_id, mrr_start, mrr_end, movement)"
        )
        con.execute(
            "create or replace table marts.mart_kpi_monthly as select * from (values "
            f"(date '2026-08-01', true, {2 * mrr_per_account}, {24 * mrr_per_account}, 2, 1 / 3), "
            "(date '2026-09-01', false, 0, 0, 0, null)"
            ") as t(month, is_complete, mrr, arr, paying_accounts, logo_churn_rate)"
        )


def night_of(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select night from marts.night").fetchone()[0]


@pytest.fixture
def published(tmp_path: Path) -> tuple[Path, Path]:
    """Night 1 published; returns (warehouse, serving copy)."""
    warehouse, copy = tmp_path / "wh.duckdb", tmp_path / "serving" / "cs_marts.duckdb"
    make_warehouse(warehouse, night=1, mrr_per_account=1000)
    publish_serving_copy(warehouse, copy, run_id="night-1")
    with duckdb.connect(str(copy)) as con:  # night 1 ran long ago (a publish stamps the time in seconds)
        con.execute(f"update main._publication set published_at = '{NIGHT_1_PUBLISHED_AT}'")
    return warehouse, copy


def publish_night_2(warehouse: Path, copy: Path) -> None:
    make_warehouse(warehouse, night=2, mrr_per_account=3000)
    publish_serving_copy(warehouse, copy, run_id="night-2")


def test_plain_connect_returns_the_old_copy_while_another_connection_is_open(published: tuple[Path, Path]) -> None:
    """Why serving.connect exists: DuckDB hands a later connect of the same path the instance it already has
    open. If DuckDB stops doing that, this test fails and serving.connect could go back to duckdb.connect."""
    warehouse, copy = published
    with duckdb.connect(str(copy), read_only=True) as old:
        publish_night_2(warehouse, copy)
        with duckdb.connect(str(copy), read_only=True) as again:
            assert night_of(again) == 1
        assert night_of(old) == 1


def test_helper_sees_the_new_publication_while_old_connections_stay_open(published: tuple[Path, Path]) -> None:
    warehouse, copy = published
    with duckdb.connect(str(copy), read_only=True) as plain_a, serving.connect(copy) as helper_a:
        assert night_of(plain_a) == 1
        assert night_of(helper_a) == 1
        publish_night_2(warehouse, copy)
        with serving.connect(copy) as b:
            assert night_of(b) == 2
            assert b.execute("select run_id from main._publication").fetchone() == ("night-2",)
        # the connections opened before the publish keep the copy they opened
        assert night_of(plain_a) == 1
        assert night_of(helper_a) == 1
        assert helper_a.execute("select run_id from main._publication").fetchone() == ("night-1",)


def test_helper_connections_are_read_only(published: tuple[Path, Path]) -> None:
    _, copy = published
    with serving.connect(copy) as con, pytest.raises(duckdb.Error, match="attached in read-only mode"):
        con.execute("create table marts.scratch as select 1 as x")


def test_helper_without_a_published_copy_says_so(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no serving copy at"):
        serving.connect(tmp_path / "serving" / "cs_marts.duckdb")


def test_summary_and_report_read_the_new_publication_while_an_old_connection_is_open(
    published: tuple[Path, Path], tmp_path: Path
) -> None:
    warehouse, copy = published
    with duckdb.connect(str(copy), read_only=True) as old:
        assert write_summary(copy, tmp_path / "reports")["mrr_jpy"] == 2000.0  # a1 + a2 at 1000, a3 churned
        publish_night_2(warehouse, copy)
        summary = write_summary(copy, tmp_path / "reports")
        # August 2026 is the latest complete month: a1 + a2 at 3000 each; 1 churn of 3 accounts at start
        assert summary == {
            "month": "2026-08-01",
            "mrr_jpy": 6000.0,
            "arr_jpy": 72000.0,
            "paying_accounts": 2,
            "logo_churn_rate": pytest.approx(1 / 3),
        }
        report_published_at = published_at(copy)
        assert report_published_at != NIGHT_1_PUBLISHED_AT
        assert report_published_at == json.loads((copy.parent / "publish_status.json").read_text())["published_at"]
        assert night_of(old) == 1


def test_sqlalchemy_lists_the_columns_of_a_published_mart(published: tuple[Path, Path]) -> None:
    """BI dataset editors (Superset, through duckdb-engine) list a table's columns with SQLAlchemy's inspector."""
    import sqlalchemy as sa

    _, copy = published
    engine = sa.create_engine(f"duckdb:///{copy}?access_mode=read_only", poolclass=sa.pool.NullPool)
    inspector = sa.inspect(engine)
    assert "mart_mrr_movements" in inspector.get_table_names(schema="marts")
    columns = {c["name"]: c["type"] for c in inspector.get_columns("mart_mrr_movements", schema="marts")}
    assert list(columns) == ["month", "is_complete", "account_id", "mrr_start", "mrr_end", "movement"]
    assert isinstance(columns["month"], sa.Date) and isinstance(columns["is_complete"], sa.Boolean)
    engine.dispose()
