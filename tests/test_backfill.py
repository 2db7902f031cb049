"""A backfill of past event days leaves exactly the tables a full rebuild leaves.

Two warehouses are built from the same landing folder of six event days:

- *rebuild*: one nightly run over all six days, from an empty warehouse;
- *backfilled*: a nightly run while three days in the middle were missing (a collector outage), then those
  three days arrive and a backfill runs the nightly job over just those past days (as the Dagster UI's
  "materialize partitions" or `dagster job backfill` does: one run for the range).

The days carry what makes a backfill hard: a session crossing midnight into a backfilled day, an event that
arrived a day late (its file day differs from its timestamp day), and a day after the gap that was already
loaded. Every raw, staging, intermediate and mart table must hold the same rows in both warehouses.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cs_warehouse.runs import partition_range_tags, pending_event_days
from cs_warehouse.tooling.fingerprint import differences, warehouse_fingerprints
from tests.conftest import current_definitions
from tests.landing_factory import event, write_events, write_minimal_landing

JST = dt.timezone(dt.timedelta(hours=9))
GAP_DAYS = ("2024-03-04", "2024-03-05", "2024-03-06")


def at(day: str, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hh, minute=mm, tzinfo=JST).astimezone(dt.UTC)


def feature_event(message_id: str, when: dt.datetime, feature: str, user: str, account: str) -> dict:
    return event(message_id, when, user=user, account=account) | {"event": "Feature Used", "feature": feature}


def write_six_days(landing: Path) -> None:
    """The minimal landing (events on 2024-03-02) plus five more event days."""
    write_minimal_landing(landing)
    days = {
        "2024-03-03": [
            event("D3-1", at("2024-03-03", 9)),
            feature_event("D3-2", at("2024-03-03", 9, 10), "f_dashboard", "PU1", "A001"),
            event("D3-3", at("2024-03-03", 14), user="PU2", account="A002"),
        ],
        "2024-03-04": [
            event("D4-1", at("2024-03-04", 23, 40)),
            feature_event("D4-2", at("2024-03-04", 23, 50), "f_reports", "PU1", "A001"),
        ],
        "2024-03-05": [
            # The session that began at 23:40 on the 4th goes on past midnight.
            feature_event("D5-1", at("2024-03-05", 0, 10), "f_reports", "PU1", "A001"),
            # Collected a day late: it happened on the 4th but lands in the 5th's file.
            event("D5-2", at("2024-03-04", 11), user="PU2", account="A002"),
            event("D5-3", at("2024-03-05", 16), user="PU2", account="A002"),
        ],
        "2024-03-06": [
            event("D6-1", at("2024-03-06", 8)) | {"event": "Report Created"},
            event("D6-2", at("2024-03-06", 8, 20)) | {"sessionId": "sdk-1"},
            event("D6-3", at("2024-03-06", 9, 30)) | {"sessionId": "sdk-1"},
        ],
        "2024-03-07": [
            event("D7-1", at("2024-03-07", 10)),
            feature_event("D7-2", at("2024-03-07", 10, 5), "f_alerts", "PU1", "A001"),
            event("D7-3", at("2024-03-07", 12), user="PU2", account="A002"),
        ],
    }
    for day, rows in days.items():
        write_events(landing, day, rows)


def configure(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSW_LANDING_DIR", str(root / "landing"))
    monkeypatch.setenv("CSW_DUCKDB_PATH", str(root / "warehouse.duckdb"))
    monkeypatch.setenv("CSW_SERVING_PATH", str(root / "serving" / "cs_marts.duckdb"))
    monkeypatch.setenv("CSW_REPORTS_DIR", str(root / "reports"))
    monkeypatch.setenv("CSW_QUALITY_HISTORY_DIR", str(root / "quality_history"))
    monkeypatch.setenv("CSW_GX_DOCS_DIR", str(root / "gx_docs"))


def run_job(instance: dg.DagsterInstance, start: str, end: str) -> dg.ExecuteInProcessResult:
    defs = current_definitions()
    days = [dt.date.fromisoformat(start), dt.date.fromisoformat(end)]
    job = defs.resolve_job_def("nightly_build")
    result = job.execute_in_process(instance=instance, tags=partition_range_tags(days, days[0]), raise_on_error=False)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return result


def assert_event_checks_read_only_the_new_loads(backfill: dg.ExecuteInProcessResult, root: Path) -> None:
    """The first night checked the whole event history; the backfill night, only the loads after the first
    night's (quality/scope.py): both watermarks moved to the backfill's load and kept the first night's full
    check as the last one."""
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        loads = con.execute(
            "select distinct load_id from raw._load_audit where entity = 'product_events' order by 1"
        ).fetchall()
    first, backfill_load = (row[0] for row in loads)
    for name in ("dbt.event_keys", "gx.raw.product_events"):
        state = json.loads((root / "quality_history" / f"{name}.checked_through.json").read_text(encoding="utf-8"))
        assert state["through_load"] == backfill_load, name
        assert state["full_check_at"] < state["checked_at"], name
    [gx_critical] = [
        e for e in backfill.get_asset_check_evaluations()
        if e.asset_key == dg.AssetKey(["raw", "product_events"]) and e.check_name == "gx_critical"
    ]  # fmt: skip
    assert gx_critical.passed and gx_critical.metadata["rows_checked"].value == f"loads after {first}"


def test_backfill_of_three_past_days_equals_a_full_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rebuild, backfilled = tmp_path / "rebuild", tmp_path / "backfilled"
    write_six_days(rebuild / "landing")
    shutil.copytree(rebuild / "landing", backfilled / "landing")
    held_back = tmp_path / "held_back"
    held_back.mkdir()
    for day in GAP_DAYS:
        shutil.move(backfilled / "landing" / "product_events" / f"dt={day}", held_back / f"dt={day}")

    with dg.instance_for_test() as instance:
        configure(rebuild, monkeypatch)
        run_job(instance, "2024-03-02", "2024-03-07")

        configure(backfilled, monkeypatch)
        run_job(instance, "2024-03-02", "2024-03-07")
        for day in GAP_DAYS:
            shutil.move(held_back / f"dt={day}", backfilled / "landing" / "product_events" / f"dt={day}")
        # The nightly's own bookkeeping sees exactly the three late days as pending.
        pending = pending_event_days(backfilled / "landing", backfilled / "warehouse.duckdb")
        assert [d.isoformat() for d in pending] == list(GAP_DAYS)
        backfill = run_job(instance, GAP_DAYS[0], GAP_DAYS[-1])
        loaded = {e.asset_key.to_user_string() for e in backfill.get_asset_materialization_events()}
        assert "raw/product_events" in loaded
        assert_event_checks_read_only_the_new_loads(backfill, backfilled)

    expected = warehouse_fingerprints(rebuild / "warehouse.duckdb")
    actual = warehouse_fingerprints(backfilled / "warehouse.duckdb")
    # The comparison covers the event-derived tables, not just the CRM ones; and those hold the gap days.
    assert {"raw.product_events", "intermediate.int_usage_session_days", "marts.mart_usage_daily"} <= expected.keys()
    assert expected["raw.product_events"][0] == 2 + 3 + 2 + 3 + 3 + 3
    assert differences(expected, actual) == []
