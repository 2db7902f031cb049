"""An entity a source may leave empty (product_usage_daily, activities) fails no check for being empty; counts that stop
arriving are the publish gates' business (a volume drop vs the published night), not a GX warning."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cs_warehouse.contract import load_contract
from cs_warehouse.gates import load_gate_config, volume_finding
from cs_warehouse.quality.runner import run_suite
from cs_warehouse.quality.suites.raw import raw_suite
from tests.quality.conftest import write_warehouse

NOW = dt.datetime(2026, 3, 31, 15, tzinfo=dt.UTC)
CONTRACTS = "create or replace table raw.contracts as select 'K1' as id"


def usage_sql(rows: int) -> list[str]:
    return [
        CONTRACTS,
        "create or replace table raw.product_usage_daily (usage_id varchar, contract_id varchar, usage_date date, "
        "feature varchar, usage_count bigint, usage_duration_secs bigint, error_count bigint, is_beta_feature boolean, "
        "_load_id varchar)",
        *(
            f"insert into raw.product_usage_daily values ('u{i}', 'K1', date '2026-03-01', 'export', 3, 60, 0, false, "
            "'L1')"
            for i in range(rows)
        ),
    ]


def test_empty_usage_counts_fail_nothing_but_counts_that_stop_arriving_stop_the_publish(tmp_path: Path) -> None:
    history = tmp_path / "history"
    suite = raw_suite(load_contract().entities["product_usage_daily"])
    db = write_warehouse(tmp_path / "wh.duckdb", usage_sql(0))
    empty = run_suite(suite, db, history_dir=history, now=NOW)
    assert empty.outcomes, "the suite ran no expectation"
    assert not empty.failures(critical=True) and not empty.failures(critical=False)

    write_warehouse(db, usage_sql(40))
    assert not run_suite(suite, db, history_dir=history, now=NOW).failures(critical=False)
    # 40 rows published, none tonight: the volume gate with the shipped limits stops the publish.
    limit = load_gate_config().volume("product_usage_daily")
    dropped = volume_finding("product_usage_daily", 0, 40, limit)
    assert dropped is not None and dropped.observed == {"rows": 0, "published_rows": 40}
    assert "0 rows vs 40 published (-100.0 %" in dropped.message


def test_an_empty_export_of_a_required_entity_is_critical(tmp_path: Path) -> None:
    db = write_warehouse(tmp_path / "wh.duckdb", [CONTRACTS.replace("select 'K1' as id", "select * from (select "
        "'K1' as id, 'A1' as account_id) where false")])  # fmt: skip
    [empty] = [
        f
        for f in run_suite(raw_suite(load_contract().entities["contracts"]), db, now=NOW).failures(critical=True)
        if f.expectation == "expect_table_row_count_to_be_between"
    ]
    assert empty.observed_value == 0


def test_an_empty_activity_log_fails_nothing(tmp_path: Path) -> None:
    """A source without a CRM activity log (RavenStack): raw.activities exists and is empty; so do its parents'
    tables here (their own suites check them)."""
    db = write_warehouse(
        tmp_path / "wh.duckdb",
        [
            *(f"create or replace table raw.{parent} (id varchar)" for parent in ("accounts", "contacts", "users")),
            "create or replace table raw.activities (id varchar, account_id varchar, who_id varchar, "
            "owner_id varchar, type varchar, status varchar, activity_date_time timestamptz, duration_minutes bigint, "
            "related_alert_id_c varchar, subject varchar, _load_id varchar)",
        ],
    )
    result = run_suite(raw_suite(load_contract().entities["activities"]), db, history_dir=tmp_path / "h", now=NOW)
    assert result.outcomes, "the suite ran no expectation"
    assert not result.failures(critical=True) and not result.failures(critical=False)
