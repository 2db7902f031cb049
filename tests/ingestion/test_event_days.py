"""Which event days a run loads, and where the event partitions start.

A nightly run (tagged new-or-changed, as the CLI nightly, the schedule and the sensor tag it) loads only the
event files that are new or changed; a backfill reloads its days' files. The partitions start at the first
day folder of the landing event log unless CSW_EVENTS_START_DATE says otherwise.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from cs_warehouse.defs.ingestion import build_product_events, events_start_date
from cs_warehouse.ingestion.load import load_landing
from cs_warehouse.runs import EVENT_FILES_TAG, NEW_OR_CHANGED, partition_range_tags, pending_event_days
from tests.conftest import warehouse_resources
from tests.landing_factory import event, write_events

UTC = dt.UTC
DAY_FILE = "product_events/dt=2024-03-02/part-0.parquet"
ROOT = Path(__file__).resolve().parents[2]
PRODUCT_EVENTS = build_product_events(dg.DailyPartitionsDefinition(start_date="2024-01-01", timezone="Asia/Tokyo"))


def audit_rows(db: Path) -> list[tuple]:
    """Every event load recorded: (file, rows read, rows loaded), oldest first."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select source_file, rows_read, rows_loaded from raw._load_audit where entity = 'product_events' "
            "order by loaded_at"
        ).fetchall()


def event_ids(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [r[0] for r in con.execute("select message_id from raw.product_events order by 1").fetchall()]


def materialize_day(tags: dict[str, str]) -> dg.ExecuteInProcessResult:
    """The product_events asset alone, over the partition range of these tags (the run's own tags)."""
    return dg.materialize([PRODUCT_EVENTS], tags=tags, resources=warehouse_resources())


@pytest.fixture
def loaded(landing: Path, db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The minimal landing loaded once (2 events on 2024-03-02), the asset pointed at it."""
    monkeypatch.setenv("CSW_LANDING_DIR", str(landing))
    monkeypatch.setenv("CSW_DUCKDB_PATH", str(db))
    load_landing(db, landing)
    assert audit_rows(db) == [(DAY_FILE, 2, 2)]
    return db


def test_a_nightly_run_over_an_unchanged_day_loads_nothing(loaded: Path, landing: Path) -> None:
    assert pending_event_days(landing, loaded) == []
    # No pending day: the nightly's tags fall back to one day, and say new-or-changed only.
    tags = partition_range_tags([], dt.date(2024, 3, 2), reload=False)
    assert tags[EVENT_FILES_TAG] == NEW_OR_CHANGED
    result = materialize_day(tags)
    assert result.success
    assert audit_rows(loaded) == [(DAY_FILE, 2, 2)]
    [materialization] = result.get_asset_materialization_events()
    assert materialization.materialization.metadata["rows_read"].value == 0


def test_a_nightly_run_reloads_a_changed_day_file(loaded: Path, landing: Path) -> None:
    write_events(
        landing,
        "2024-03-02",
        [event("E1", dt.datetime(2024, 3, 1, 16, 0, tzinfo=UTC)), event("E3", dt.datetime(2024, 3, 2, 5, tzinfo=UTC))],
    )
    assert pending_event_days(landing, loaded) == [dt.date(2024, 3, 2)]
    assert materialize_day(partition_range_tags([dt.date(2024, 3, 2)], dt.date(2024, 3, 2), reload=False)).success
    # The corrected file replaced the day's events: E2 is gone, E3 is in.
    assert audit_rows(loaded) == [(DAY_FILE, 2, 2), (DAY_FILE, 2, 2)]
    assert event_ids(loaded) == ["E1", "E3"]


def test_a_backfill_reloads_an_unchanged_day_file(loaded: Path) -> None:
    tags = partition_range_tags([dt.date(2024, 3, 2)], dt.date(2024, 3, 2))
    assert EVENT_FILES_TAG not in tags
    assert materialize_day(tags).success
    assert audit_rows(loaded) == [(DAY_FILE, 2, 2), (DAY_FILE, 2, 2)]
    assert event_ids(loaded) == ["E1", "E2"]


def test_the_schedule_tags_its_night_new_or_changed_only() -> None:
    from cs_warehouse.defs.jobs import nightly_schedule

    defs = dg.Definitions(assets=[PRODUCT_EVENTS], schedules=[nightly_schedule], resources=warehouse_resources())
    schedule = defs.resolve_schedule_def("nightly_build_0200_jst")
    at_two = dt.datetime(2024, 3, 3, 2, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    with dg.instance_for_test() as instance:
        [request] = schedule.evaluate_tick(
            dg.build_schedule_context(instance=instance, scheduled_execution_time=at_two)
        ).run_requests
    assert request.partition_key == "2024-03-02"
    assert request.tags[EVENT_FILES_TAG] == NEW_OR_CHANGED


def test_the_partitions_start_at_the_first_day_folder(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    for day in ("2024-03-05", "2024-02-28", "2024-03-01"):
        write_events(landing, day, [])
    (landing / "product_events" / "dt=2024-02-30").mkdir()  # not a date: the load names it, not this
    (landing / "product_events" / "notes.txt").write_text("x", encoding="utf-8")
    assert events_start_date(landing, "Asia/Tokyo") == "2024-02-28"
    assert events_start_date(landing, "Asia/Tokyo", "2023-01-01") == "2023-01-01"


def test_the_partitions_start_yesterday_in_tokyo_without_events(tmp_path: Path) -> None:
    yesterday = dt.datetime.now(ZoneInfo("Asia/Tokyo")).date() - dt.timedelta(days=1)
    assert events_start_date(tmp_path / "empty", "Asia/Tokyo") in {
        yesterday.isoformat(),
        (yesterday + dt.timedelta(1)).isoformat(),
    }


def test_the_definitions_take_the_start_from_the_landing_folder(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_events(landing, "2025-06-10", [])
    write_events(landing, "2025-06-11", [])
    env = {k: v for k, v in os.environ.items() if k != "CSW_EVENTS_START_DATE"}
    env |= {"CSW_LANDING_DIR": str(landing), "PYTHONPATH": str(ROOT / "orchestration")}
    code = (
        "from cs_warehouse.definitions import defs; "
        "print(defs.resolve_job_def('nightly_build').partitions_def.get_first_partition_key())"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "2025-06-10"
    env["CSW_EVENTS_START_DATE"] = "2025-01-01"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "2025-01-01"


# -- load ids -------------------------------------------------------------------------------------------


def test_each_load_id_sorts_after_every_earlier_load(db: Path) -> None:
    """The incremental models read rows whose `_load_id` is above their watermark as new: a load's id must
    sort after all earlier ones, also for loads in the same second, after the clock was set back, and after
    ids written in the older whole-second form."""
    from cs_warehouse.contract import load_contract
    from cs_warehouse.defs.dbt import LOAD_ID
    from cs_warehouse.ingestion.audit import ensure_raw_schema
    from cs_warehouse.ingestion.load import next_load_id

    noon = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    starts = [noon, noon, noon, noon - dt.timedelta(hours=1), noon + dt.timedelta(microseconds=1)]
    with duckdb.connect(str(db)) as con:
        ensure_raw_schema(con, load_contract())
        issued = ["20260301T120000-ffffffff"]  # a whole-second id of the same second, from an older load
        for now in [None, *starts]:
            if now is not None:
                issued.append(next_load_id(con, now))
            con.execute(
                "insert into raw._load_audit (load_id, entity, source_file, file_sha256, rows_read, rows_loaded, "
                "rows_quarantined, loaded_at) values (?, 'product_events', 'f', 'sha', 0, 0, 0, now())",
                [issued[-1]],
            )
    assert len(set(issued)) == len(issued)
    assert issued == sorted(issued)
    assert all(LOAD_ID.match(load_id) for load_id in issued)  # what the load-scoped dbt tests accept
    # Ids keep their time order: the start to the microsecond leads.
    assert issued[1].startswith("20260301T120000_000000-")
    assert issued[-1].startswith("20260301T120000_000001-")
