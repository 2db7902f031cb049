"""The reporting day (dbt's as_of_date) defaults to the last complete day, never today."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from cs_warehouse.defs.dbt import default_reporting_day, last_data_day, nightly_build_args, reporting_day
from cs_warehouse.settings import Settings

D = dt.date


@pytest.mark.parametrize(
    ("today", "last_data", "expected"),
    [
        (D(2026, 12, 5), None, D(2026, 12, 4)),  # nothing loaded yet: yesterday
        (D(2026, 12, 5), D(2026, 12, 4), D(2026, 12, 4)),  # the usual night
        (D(2026, 12, 5), D(2026, 12, 5), D(2026, 12, 4)),  # today's first events do not make today complete
        (D(2026, 12, 5), D(2026, 11, 20), D(2026, 11, 20)),  # the export stopped: its last day
        (D(2026, 1, 1), None, D(2025, 12, 31)),  # across a year
    ],
)
def test_the_default_reporting_day_is_the_last_complete_day(today: D, last_data: D | None, expected: D) -> None:
    assert default_reporting_day(today, last_data) == expected


def _settings(monkeypatch: pytest.MonkeyPatch, warehouse: Path) -> Settings:
    monkeypatch.delenv("CSW_AS_OF_DATE", raising=False)
    monkeypatch.delenv("CSW_DBT_TARGET", raising=False)
    monkeypatch.setenv("CSW_DUCKDB_PATH", str(warehouse))
    return Settings.from_env()


def test_the_last_data_day_is_the_last_event_day_in_the_reporting_zone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw")
        con.execute('create table raw.product_events ("timestamp" timestamptz)')
        # 15:30 UTC on 03-31 is 00:30 on 04-01 in Tokyo
        con.execute("insert into raw.product_events values ('2026-03-30T10:00:00Z'), ('2026-03-31T15:30:00Z')")
    settings = _settings(monkeypatch, warehouse)
    assert last_data_day(settings) == D(2026, 4, 1)
    assert reporting_day(settings, today=D(2026, 4, 20)) == D(2026, 4, 1)
    assert reporting_day(settings, today=D(2026, 4, 2)) == D(2026, 4, 1)
    assert reporting_day(settings, today=D(2026, 4, 1)) == D(2026, 3, 31)


def test_daily_usage_rows_count_as_data_and_no_raw_tables_as_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw")
    settings = _settings(monkeypatch, warehouse)
    assert last_data_day(settings) is None
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table raw.product_usage_daily (usage_date date)")
        con.execute("insert into raw.product_usage_daily values ('2025-01-30'), ('2025-01-31')")
    assert last_data_day(settings) == D(2025, 1, 31)


def test_the_nightly_builds_the_reporting_day(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # no warehouse yet: yesterday in Tokyo
    settings = _settings(monkeypatch, tmp_path / "none.duckdb")
    args = nightly_build_args(settings)
    yesterday = dt.datetime.now(ZoneInfo("Asia/Tokyo")).date() - dt.timedelta(days=1)
    assert args[args.index("--vars") + 1] == f'{{"as_of_date": "{yesterday.isoformat()}"}}'
    # CSW_AS_OF_DATE wins (a re-run of a past night)
    monkeypatch.setenv("CSW_AS_OF_DATE", "2026-03-31")
    args = nightly_build_args(Settings.from_env())
    assert args[args.index("--vars") + 1] == '{"as_of_date": "2026-03-31"}'
    # The load-scoped tests' watermark goes to dbt as a variable, never through the environment.
    args = nightly_build_args(Settings.from_env(), "20260331T020000_ab12")
    assert args[args.index("--vars") + 1] == '{"as_of_date": "2026-03-31", "checks_after_load": "20260331T020000_ab12"}'


def test_a_reporting_zone_other_than_dbts_stops_the_night_before_dbt(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import dataclasses

    settings = dataclasses.replace(_settings(monkeypatch, tmp_path / "none.duckdb"), reporting_timezone="UTC")
    with pytest.raises(
        ValueError, match=r"CSW_REPORTING_TIMEZONE='UTC' differs from the dbt var reporting_timezone='Asia/Tokyo'"
    ):
        nightly_build_args(settings)
