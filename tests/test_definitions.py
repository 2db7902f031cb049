"""The Dagster code location loads, and the nightly job materializes the whole graph in-process."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cs_warehouse.runs import partition_range_tags, pending_event_days
from tests.landing_factory import write_minimal_landing


@pytest.fixture
def warehouse_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    landing = write_minimal_landing(tmp_path / "landing")
    monkeypatch.setenv("CSW_LANDING_DIR", str(landing))
    monkeypatch.setenv("CSW_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("CSW_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("CSW_SERVING_PATH", str(tmp_path / "serving" / "cs_marts.duckdb"))
    return tmp_path


def test_definitions_load_with_the_nightly_job_and_its_schedule() -> None:
    from cs_warehouse.definitions import defs

    job = defs.resolve_job_def("nightly_build")
    schedule = defs.resolve_schedule_def("nightly_build_0200_jst")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Tokyo"
    assert schedule.job_name == job.name
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {
        "raw/accounts",
        "raw/product_events",
        "marts/mart_mrr_movements",
        "serving/marts",
        "reports/kpi_summary",
    } <= keys
    # dbt tests arrive as asset checks on the model they test
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert ("marts/mart_mrr_movements", "not_null_mart_mrr_movements_mrr_end") in checks
    assert ("raw/accounts", "rows_reconcile") in checks


def test_nightly_job_materializes_the_whole_graph_in_process(warehouse_env: Path) -> None:
    from cs_warehouse.definitions import defs

    job = defs.resolve_job_def("nightly_build")
    days = pending_event_days(warehouse_env / "landing", warehouse_env / "warehouse.duckdb")
    assert [d.isoformat() for d in days] == ["2024-03-02"]
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance, tags=partition_range_tags(days, days[0]))
        assert result.success
        materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
        graph_assets = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
        assert graph_assets == materialized
        failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
        assert [e for e in failed if e.severity == dg.AssetCheckSeverity.ERROR] == []
        # The fixture is a few rows from 2024: the only warnings are staleness and marts it is too small for.
        warned = {(f["part"], f["expectation"]) for e in failed for f in e.metadata["failures"].data}
        assert warned <= {
            ("table_freshness", "expect_column_values_to_be_between"),
            ("table", "expect_table_row_count_to_be_between"),
        }

    with duckdb.connect(str(warehouse_env / "warehouse.duckdb"), read_only=True) as con:
        # A001: annual 360,000 JPY from 2024-02 -> 30,000 MRR; A002: monthly 6,000 from March, paid through May.
        rows = con.execute(
            "select account_id, month, mrr_end, movement from marts.mart_mrr_movements "
            "where month between '2024-02-01' and '2024-06-01' order by account_id, month"
        ).fetchall()
    table = [(a, m.isoformat(), float(v), mv) for a, m, v, mv in rows]
    assert table == [
        ("A001", "2024-02-01", 30000.0, "new"),
        ("A001", "2024-03-01", 30000.0, "unchanged"),
        ("A001", "2024-04-01", 30000.0, "unchanged"),
        ("A001", "2024-05-01", 30000.0, "unchanged"),
        ("A001", "2024-06-01", 30000.0, "unchanged"),
        ("A002", "2024-03-01", 6000.0, "new"),
        ("A002", "2024-04-01", 6000.0, "unchanged"),
        ("A002", "2024-05-01", 6000.0, "unchanged"),
        ("A002", "2024-06-01", 0.0, "churn"),
    ]
    summary = json.loads((warehouse_env / "reports" / "kpi_summary.json").read_text())
    assert summary["paying_accounts"] == 1
    with duckdb.connect(str(warehouse_env / "serving" / "cs_marts.duckdb"), read_only=True) as serving:
        schemas = {r[0] for r in serving.execute("select distinct schema_name from duckdb_tables()").fetchall()}
        assert schemas == {"main", "marts"}  # only the marts (and the publication record) reach BI
