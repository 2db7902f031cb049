"""The DuckDB datasource for GX's SQL engine: why it exists and that it computes in DuckDB."""

from __future__ import annotations

from pathlib import Path

import great_expectations as gx
import great_expectations.expectations as gxe
import sqlalchemy as sa

from cs_warehouse.quality import gx_duckdb
from tests.quality.conftest import accounts_sql, write_warehouse

ROWS = [("A1", "smb", "2026-03-01 00:00:00+00"), ("A2", "bogus", "2026-03-02 00:00:00+00")]


def _suite() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="accounts",
        expectations=[
            gxe.ExpectTableRowCountToBeBetween(min_value=2, max_value=2),
            gxe.ExpectColumnValuesToBeInSet(column="segment_c", value_set=["smb"]),
        ],
    )


def _validate(source) -> list:
    batch = source.add_query_asset(name="a", query="select * from raw.accounts").add_batch_definition_whole_table("all")
    return batch.get_batch().validate(_suite()).results


def test_gx_sql_path_returns_no_rows_on_plain_duckdb_engine(tmp_path: Path) -> None:
    """Documents the GX limitation the datasource works around; if this starts passing, drop the workaround."""
    db = write_warehouse(tmp_path / "wh.duckdb", accounts_sql(ROWS))
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(
        name="plain", connection_string=gx_duckdb.duckdb_url(str(db)), kwargs={"connect_args": {"read_only": True}}
    )
    results = _validate(source)
    assert all(not r.success for r in results)
    assert all(r.result.get("observed_value") is None and r.result.get("unexpected_count") is None for r in results)


def test_duckdb_warehouse_datasource_computes_metrics_in_duckdb(tmp_path: Path) -> None:
    db = write_warehouse(tmp_path / "wh.duckdb", accounts_sql(ROWS))
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_duckdb_warehouse(
        name="wh", connection_string=gx_duckdb.duckdb_url(str(db)), kwargs=gx_duckdb.engine_kwargs()
    )
    row_count, in_set = _validate(source)
    assert row_count.success and row_count.result["observed_value"] == 2
    assert not in_set.success and in_set.result["unexpected_count"] == 1
    assert in_set.result["partial_unexpected_list"] == ["bogus"]
    engine = source.get_execution_engine()
    assert isinstance(engine, gx_duckdb.DuckDBExecutionEngine)
    assert engine.engine.dialect.name == "duckdb"
    assert isinstance(engine.engine.pool, sa.pool.StaticPool)
    engine.close()
    source.get_engine().dispose()


def test_gx_connection_is_held_to_the_warehouse_memory_limit(tmp_path: Path, monkeypatch) -> None:
    """GX's aggregates over every raw event must spill like dbt's, not grow towards 80 % of RAM."""
    db = write_warehouse(tmp_path / "wh.duckdb", accounts_sql(ROWS))
    monkeypatch.setenv("CSW_DUCKDB_MEMORY_LIMIT", "200MB")
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_duckdb_warehouse(
        name="wh", connection_string=gx_duckdb.duckdb_url(str(db)), kwargs=gx_duckdb.engine_kwargs()
    )
    with source.get_engine().connect() as conn:
        limit = conn.execute(sa.text("select current_setting('memory_limit')")).scalar()
    source.get_engine().dispose()
    # DuckDB reports the limit in MiB: 200 MB = 190.7 MiB
    assert limit == "190.7 MiB"
