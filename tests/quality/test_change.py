"""The suites follow change: a night with nothing new skips them without Great Expectations, a night with a new
load (or a rebuilt mart) validates, and the weekly full check validates everything."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cs_warehouse import build_state
from cs_warehouse.contract import load_contract
from cs_warehouse.defs.quality import CRITICAL_CHECK, WARNING_CHECK, build_layer_check
from cs_warehouse.ingestion.load import load_landing
from cs_warehouse.quality import change
from cs_warehouse.quality.suites.marts import mart_mrr_movements
from cs_warehouse.quality.suites.raw import raw_suite
from cs_warehouse.settings import Settings
from cs_warehouse.warehouse import WarehouseResource
from tests.landing_factory import event, write_events, write_minimal_landing
from tests.quality.conftest import MOVEMENTS, movements_sql, write_warehouse

EVENTS = dg.AssetKey(["raw", "product_events"])
MOVEMENTS_KEY = dg.AssetKey(["marts", "mart_mrr_movements"])


def _night(settings: Settings, key: dg.AssetKey, suite) -> dict[str, dg.AssetCheckEvaluation]:
    @dg.asset(key=key)
    def stand_in() -> None:
        """Stands in for the loader or the dbt model: the table already exists."""

    check = build_layer_check(f"gx_{key.path[0]}", [suite])
    resources = {"warehouse": WarehouseResource.from_settings(settings)}
    result = dg.materialize([stand_in, check], raise_on_error=False, selection=[key], resources=resources)
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def _without_gx(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any import of the GX runner (the only module importing Great Expectations) now fails."""
    monkeypatch.setitem(sys.modules, "cs_warehouse.quality.runner", None)


def _newest_load(db: Path, entities: tuple[str, ...]) -> str:
    with duckdb.connect(str(db), read_only=True) as con:
        marks = ", ".join("?" for _ in entities)
        query = f"select max(load_id) from raw._load_audit where entity in ({marks})"
        return con.execute(query, list(entities)).fetchone()[0]


def test_raw_suite_skips_an_idle_night_and_validates_new_loads(
    tmp_path: Path, settings_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CSW_FULL_CHECKS", raising=False)
    monkeypatch.setenv("CSW_FULL_CHECK_DAYS", "7")
    landing = write_minimal_landing(tmp_path / "landing")
    db = tmp_path / "wh.duckdb"
    load_landing(db, landing)
    settings = settings_for(db)
    suite = raw_suite(load_contract().entities["product_events"])
    # the event suite reads the events and, for its references, the users and accounts
    read = ("product_events", "product_users", "accounts")

    first = _night(settings, EVENTS, suite)
    assert first[CRITICAL_CHECK].passed and first[CRITICAL_CHECK].metadata["rows_checked"].value == "whole history"

    # Nothing new: skipped without importing GX, reporting the pass; freshness is still evaluated tonight.
    with monkeypatch.context() as patch:
        _without_gx(patch)
        idle = _night(settings, EVENTS, suite)
    critical, warning = idle[CRITICAL_CHECK], idle[WARNING_CHECK]
    assert critical.passed
    assert critical.metadata["skipped"].value == f"skipped: nothing new since load {_newest_load(db, read)}"
    assert "expectations_evaluated" not in critical.metadata
    # latest event 2024-03-02 03:00 UTC; the reference is the end of 2026-03-31 in Tokyo, 2026-03-31 15:00 UTC:
    # 730 days to 2026-03-02, 29 more to 2026-03-31, and 12 hours
    [stale] = warning.metadata["failures"].value
    assert not warning.passed and stale["part"] == "table_freshness" and stale["observed_value"] == 759.5

    # A new load: validated, its rows only.
    time.sleep(1.1)  # load ids begin with their UTC second
    write_events(landing, "2024-03-03", [event("E3", dt.datetime(2024, 3, 3, 3, 0, tzinfo=dt.UTC))])
    load_landing(db, landing, entities=["product_events"])
    new = _night(settings, EVENTS, suite)[CRITICAL_CHECK]
    assert new.passed and new.metadata["rows_checked"].value.startswith("loads after ")
    assert new.metadata["expectations_evaluated"].value > 0

    # The weekly full check validates the whole history although nothing is new.
    monkeypatch.setenv("CSW_FULL_CHECK_DAYS", "0")
    full = _night(settings, EVENTS, suite)[CRITICAL_CHECK]
    assert full.passed and full.metadata["rows_checked"].value == "whole history"


def test_mart_suite_runs_only_when_dbt_rebuilt_the_mart(
    tmp_path: Path, settings_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CSW_FULL_CHECKS", raising=False)
    monkeypatch.setenv("CSW_FULL_CHECK_DAYS", "7")
    settings = settings_for(write_warehouse(tmp_path / "wh.duckdb", movements_sql(MOVEMENTS)))
    suite = mart_mrr_movements()

    def dbt_built(loads: dict[str, str]) -> None:
        """The record the dbt step leaves after a successful build."""
        build_state.record(settings.quality_history_dir, {"project": "p", "as_of_date": "2026-03-31", "loads": loads})

    dbt_built({"contracts": "20260330T010000-a", "product_events": "20260330T010000-b"})
    assert _night(settings, MOVEMENTS_KEY, suite)[CRITICAL_CHECK].metadata["expectations_evaluated"].value > 0

    # Only events were new: dbt rebuilt the usage models, not the MRR movements (they read no events).
    dbt_built({"contracts": "20260330T010000-a", "product_events": "20260331T010000-c"})
    with monkeypatch.context() as patch:
        _without_gx(patch)
        idle = _night(settings, MOVEMENTS_KEY, suite)
    assert idle[CRITICAL_CHECK].passed and idle[WARNING_CHECK].passed
    assert idle[CRITICAL_CHECK].metadata["skipped"].value == (
        "skipped: nothing new since load 20260331T010000-c (dbt did not rebuild what it reads)"
    )

    # New contracts: dbt rebuilt the movements, so they are validated again.
    dbt_built({"contracts": "20260331T010000-d", "product_events": "20260331T010000-c"})
    rebuilt = _night(settings, MOVEMENTS_KEY, suite)[CRITICAL_CHECK]
    assert rebuilt.passed and rebuilt.metadata["expectations_evaluated"].value > 0


def test_a_table_never_loaded_counts_as_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An optional export no source sends has no load id: its suite is validated once, then skipped."""
    monkeypatch.delenv("CSW_FULL_CHECKS", raising=False)
    monkeypatch.setenv("CSW_FULL_CHECK_DAYS", "7")
    suite = raw_suite(load_contract().entities["product_usage_daily"])
    tonight = change.Tonight(loads={"contracts": "20260331T010000-a"}, build=None)  # none of product_usage_daily
    now = dt.datetime(2026, 3, 31, tzinfo=dt.UTC)
    first = change.decide(tmp_path, suite, tonight, now)
    assert first.validate and first.reason == "first validation"
    change.record_pass(tmp_path, suite, first, now, full=True, warnings=[])
    later = change.decide(tmp_path, suite, tonight, now + dt.timedelta(days=1))
    assert not later.validate
    assert later.reason == "nothing new since load 20260331T010000-a"
