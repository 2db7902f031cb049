"""The suites as Dagster asset checks: a failing critical check stops what is downstream."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dagster as dg

from cs_warehouse.defs.quality import CRITICAL_CHECK, WARNING_CHECK, build_quality_checks, build_suite_check
from cs_warehouse.quality.suites.marts import mart_mrr_movements
from cs_warehouse.settings import Settings
from cs_warehouse.warehouse import WarehouseResource
from tests.conftest import warehouse_resources
from tests.quality.conftest import MOVEMENTS, movements_sql, write_warehouse

KEY = dg.AssetKey(["marts", "mart_mrr_movements"])


def _run(db: Path, settings_for: Callable[[Path], Settings]) -> dg.ExecuteInProcessResult:
    @dg.asset(key=KEY)
    def movements() -> None:
        """Stands in for the dbt model: the table already exists in `db`."""

    @dg.asset(deps=[KEY])
    def kpi_report() -> None:
        pass

    check = build_suite_check(mart_mrr_movements())
    resources = {"warehouse": WarehouseResource.from_settings(settings_for(db))}
    return dg.materialize([movements, kpi_report, check], raise_on_error=False, resources=resources)


def _check(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def test_clean_data_lets_downstream_run(tmp_path: Path, settings_for) -> None:
    result = _run(write_warehouse(tmp_path / "wh.duckdb", movements_sql(MOVEMENTS)), settings_for)
    assert result.success
    assert _check(result, CRITICAL_CHECK).passed and _check(result, WARNING_CHECK).passed
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert dg.AssetKey("kpi_report") in materialized
    assert (tmp_path / "gx_docs" / "index.html").exists()
    assert list((tmp_path / "history").glob("*.jsonl"))


def test_failing_critical_check_skips_downstream(tmp_path: Path, settings_for) -> None:
    broken = [(*row[:4], "unchanged") if row[:2] == ("A2", "2026-03-01") else row for row in MOVEMENTS]
    result = _run(write_warehouse(tmp_path / "wh.duckdb", movements_sql(broken)), settings_for)

    critical = _check(result, CRITICAL_CHECK)
    assert not critical.passed and critical.severity == dg.AssetCheckSeverity.ERROR
    metadata = critical.metadata
    assert metadata["failing_expectations"].value == 2
    assert metadata["failing_rows"].value == 2  # one account-month, one month of the bridge
    failures = {f["part"]: f for f in metadata["failures"].value}
    assert failures["movement_rules"]["sample"][0]["account_id"] == "A2"
    assert failures["movement_rules"]["unexpected_count"] == 1
    assert _check(result, WARNING_CHECK).severity == dg.AssetCheckSeverity.WARN
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert dg.AssetKey("kpi_report") not in materialized


def test_checks_only_for_existing_assets() -> None:
    existing = [dg.AssetKey(["raw", "accounts"]), KEY, dg.AssetKey(["marts", "mart_new_thing"])]
    checks = build_quality_checks(existing)
    guarded = {key.asset_key for c in checks for key in c.check_keys}
    assert guarded == set(existing)  # customer_360 has a suite but no asset yet: no check
    blocking = {spec.name: spec.blocking for c in checks for spec in c.check_specs}
    assert blocking == {CRITICAL_CHECK: True, WARNING_CHECK: False}


def test_registered_checks_load_with_the_code_location() -> None:
    from cs_warehouse.defs.ingestion import build_product_events, ingest_exports
    from cs_warehouse.defs.quality import quality_checks

    guarded = {key.asset_key for c in quality_checks for key in c.check_keys}
    assert {dg.AssetKey(["raw", "accounts"]), dg.AssetKey(["raw", "product_events"]), KEY} <= guarded
    product_events = build_product_events(dg.DailyPartitionsDefinition(start_date="2024-01-01"))
    dg.Definitions(
        assets=[ingest_exports, product_events], asset_checks=quality_checks, resources=warehouse_resources()
    ).resolve_all_job_defs()
