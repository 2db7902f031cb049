"""Incremental runs after late, duplicate, corrected and removed events give exactly the tables a full refresh gives.

Night one: the held-back day file carries the generator's late events (received days after they happened),
one planted event that bridges two of a user's sessions (the incremental models must re-sessionise history,
not only append), one that moves a first day earlier, and an old event delivered again (a duplicate, which
ingestion quarantines). Night two: an old day file is reloaded corrected, with one event moved by three
hours and without another event, the only active event of its user on its day (its user-day and its session
must leave the tables).

The bookkeeping columns that name the load which last wrote a row (`_session_load_id`,
`_last_session_load_id`) are left out of the comparison: an incremental run stamps what it rewrote with its
own load, a full refresh the latest load of the row's events. The rollup's zero rows (keys a reload emptied,
kept so that the models downstream see their day) are left out too: every reader skips them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cs_warehouse.tooling.generator import generate

ROOT = Path(__file__).resolve().parents[2]
END = dt.date(2026, 3, 31)
LATE_DAY = END.isoformat()
SELECT = "+path:models/intermediate/usage"
CORRECTED_DAY = "2026-03-20"
BOOKKEEPING = {"_session_load_id", "_last_session_load_id"}
USAGE_TABLES = [
    "int_usage_event_rollup",
    "int_usage_session_days",
    "int_usage_sessions",
    "int_usage_user_daily",
    "int_usage_feature_daily",
    "int_usage_active_users_daily",
    "int_usage_account_monthly",
    "int_usage_account_features_monthly",
    "int_usage_kpi_monthly",
    "int_usage_account_onboarding",
    "int_usage_user_event_firsts",
    "int_usage_user_milestones",
    "int_usage_account_milestones",
]


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CSW_DUCKDB_PATH=str(tmp / "wh.duckdb"),
        CSW_LANDING_DIR=str(tmp / "landing"),
        DBT_TARGET_PATH=str(tmp / "target"),
        DBT_LOG_PATH=str(tmp / "logs"),
        PYTHONPATH=str(ROOT / "orchestration"),
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def _load(env: dict[str, str]) -> None:
    _run([sys.executable, "-m", "cs_warehouse", "load"], env)


def _dbt(env: dict[str, str], command: str, *extra: str, as_of: dt.date = END) -> None:
    dbt = str(Path(sys.executable).parent / "dbt")
    _run([dbt, command, "--select", SELECT, "--vars", f'{{as_of_date: "{as_of}"}}', "--quiet", *extra], env)


FIRST_REPORT_DAY = "report_date = (select min(report_date) from intermediate.int_usage_active_users_daily)"
MARK = 1000


def _shift_first_report_day(db: Path, offset: int) -> int:
    """Add `offset` to the DAU of the first report day (a row an incremental run must leave alone); returns
    the smallest DAU of that day before the change."""
    with duckdb.connect(str(db)) as con:
        before = con.execute(
            f"select min(dau) from intermediate.int_usage_active_users_daily where {FIRST_REPORT_DAY}"
        ).fetchone()[0]
        con.execute(
            f"update intermediate.int_usage_active_users_daily set dau = dau + ? where {FIRST_REPORT_DAY}", [offset]
        )
        return before


def _snapshot(db: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(db), read_only=True) as con:
        out = {}
        for table in USAGE_TABLES:
            frame = con.execute(f"select * from intermediate.{table}").df()
            if table == "int_usage_event_rollup":
                frame = frame[frame.event_count > 0]
            frame = frame.drop(columns=[column for column in frame.columns if column in BOOKKEEPING])
            out[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
        return out


def _bridging_event(db: Path) -> dict:
    """An event halfway between two inactivity sessions of one user that are 31-59 minutes apart."""
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("""
            with s as (
                select user_id, account_id, session_started_at, session_ended_at,
                       lead(session_started_at) over (partition by user_id order by session_started_at) as next_start
                from intermediate.int_usage_sessions where session_source = 'inactivity')
            select user_id, account_id, session_ended_at + (next_start - session_ended_at) / 2 as bridge_at
            from s
            where next_start - session_ended_at between interval 31 minute and interval 59 minute
              and session_ended_at < timestamptz '2026-03-25 00:00:00+00'
            order by user_id, session_started_at limit 1
        """).fetchone()
    assert row is not None, "no pair of sessions to bridge in the generated data"
    user_id, account_id, bridge_at = row
    return {
        "messageId": "planted-bridge-0001",
        "userId": user_id,
        "groupId": account_id,
        "event": "Page Viewed",
        "feature": None,
        "sessionId": None,
        "isSystem": False,
        "timestamp": bridge_at,
        "receivedAt": dt.datetime(2026, 3, 31, 3, 0, tzinfo=dt.UTC),
        "properties": None,
    }


def _earlier_first_event(db: Path) -> dict:
    """An event of a user, dated the day before the first day the user did that event (by name): the late day
    moves a first day of int_usage_user_event_firsts earlier. An event name without a feature code, first done
    well inside the history; the planted event has no SDK session."""
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("""
            select user_id, account_id, event_name, min(activity_date) as first_date
            from intermediate.int_usage_event_rollup
            group by user_id, account_id, event_name
            having min(activity_date) between date '2026-02-10' and date '2026-03-20' and max(feature_code) is null
            order by first_date, user_id, event_name limit 1
        """).fetchone()
    assert row is not None, "no first event inside the history in the generated data"
    user_id, account_id, event_name, first_date = row
    earlier = first_date - dt.timedelta(days=1)
    return {
        "messageId": "planted-earlier-0001",
        "userId": user_id,
        "groupId": account_id,
        "event": event_name,
        "feature": None,
        "sessionId": None,
        "isSystem": False,
        # 03:00 UTC is 12:00 in Asia/Tokyo: the event's reporting day is `earlier`
        "timestamp": dt.datetime.combine(earlier, dt.time(3, 0), tzinfo=dt.UTC),
        "receivedAt": dt.datetime(2026, 3, 31, 3, 0, tzinfo=dt.UTC),
        "properties": None,
        "first_date": first_date,
    }


def _duplicate_of_an_old_event(landing: Path) -> dict:
    """The first user event of the earliest day file that has one, delivered again, unchanged, in the late
    day file."""
    for day in sorted((landing / "product_events").iterdir()):
        for row in pq.read_table(day / "part-0.parquet").to_pylist():
            if not row["isSystem"]:
                return row
    raise AssertionError("no user event in the generated data")


def _correct_a_day_file(db: Path, landing: Path) -> tuple[str, str]:
    """Rewrites the day file of CORRECTED_DAY: one event three hours later, and without the only active event
    of a user on its reporting day (an event without an SDK session). Returns (moved id, removed id)."""
    with duckdb.connect(str(db), read_only=True) as con:
        active = """
            select events.* from staging.stg_product__events as events
            left join reference.event_catalog as catalog on events.event_name = catalog.event_name
            where not events.is_system_event and coalesce(catalog.is_active, true)"""
        removed = con.execute(f"""
            with active as ({active})
            select a.event_id from active as a
            where a.received_partition_date = date '{CORRECTED_DAY}' and a.sdk_session_id is null
              and (select count(*) from active as b
                   where b.user_id = a.user_id and b.activity_date = a.activity_date) = 1
            order by a.event_id limit 1""").fetchone()
        assert removed is not None, "no lone event of a user-day in the corrected day file"
        moved = con.execute(
            f"""
            with active as ({active})
            select event_id from active
            where received_partition_date = date '{CORRECTED_DAY}' and sdk_session_id is null and event_id <> ?
            order by event_id limit 1""",
            [removed[0]],
        ).fetchone()
    path = landing / "product_events" / f"dt={CORRECTED_DAY}" / "part-0.parquet"
    table = pq.read_table(path)
    rows = [row for row in table.to_pylist() if row["messageId"] != removed[0]]
    for row in rows:
        if row["messageId"] == moved[0]:
            row["timestamp"] += dt.timedelta(hours=3)
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    return moved[0], removed[0]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("usage_incremental")
    landing = tmp / "landing"
    generate(landing, accounts=12, months=3, seed=11, end_date=END, events_per_user_day=2.0)
    held_back = tmp / "held_back"
    shutil.move(landing / "product_events" / f"dt={LATE_DAY}", held_back)
    env = _env(tmp)
    db = tmp / "wh.duckdb"

    _load(env)
    # the night before: the data ends the day before the late day, and so does the report (the seeds the
    # usage models read, with the run's vars: dbt parses the project once for both)
    _dbt(env, "seed", as_of=END - dt.timedelta(days=1))
    _dbt(env, "run", as_of=END - dt.timedelta(days=1))
    sessions_before = _snapshot(db)
    _shift_first_report_day(db, MARK)

    # the late day arrives, with one planted event that merges two existing sessions
    late = pq.read_table(held_back / "part-0.parquet")
    bridge = _bridging_event(db)
    earlier = _earlier_first_event(db)
    duplicate = _duplicate_of_an_old_event(landing)
    planted = [bridge, {key: value for key, value in earlier.items() if key != "first_date"}, duplicate]
    late = pa.concat_tables([late, pa.Table.from_pylist(planted, schema=late.schema)])
    day_dir = landing / "product_events" / f"dt={LATE_DAY}"
    day_dir.mkdir(parents=True)
    pq.write_table(late, day_dir / "part-0.parquet")
    _load(env)
    _dbt(env, "run")
    after_late_day = _snapshot(db)
    with duckdb.connect(str(db), read_only=True) as con:
        duplicate_quarantined = con.execute(
            "select count(*) from raw._quarantine where rule = 'duplicate_key' and source_file like ?",
            [f"%dt={LATE_DAY}%"],
        ).fetchone()[0]
        duplicate_partitions = con.execute(
            "select received_partition_date from staging.stg_product__events where event_id = ?",
            [duplicate["messageId"]],
        ).fetchall()

    # a day file of the history reloaded, corrected: one event moved, one removed
    moved_id, removed_id = _correct_a_day_file(db, landing)
    moved_at = "select occurred_at from staging.stg_product__events where event_id = ?"
    with duckdb.connect(str(db), read_only=True) as con:
        removed = con.execute(
            "select user_id, activity_date, occurred_at from staging.stg_product__events where event_id = ?",
            [removed_id],
        ).fetchone()
        moved_before = con.execute(moved_at, [moved_id]).fetchone()[0]
    _load(env)
    _dbt(env, "run")
    with duckdb.connect(str(db), read_only=True) as con:
        moved_by = con.execute(moved_at, [moved_id]).fetchone()[0] - moved_before
        removed_left = con.execute(
            "select count(*) from staging.stg_product__events where event_id = ?", [removed_id]
        ).fetchone()[0]
    # still marked: the incremental runs did not recompute the first report day; unmarked for the comparison
    first_day_kept = _shift_first_report_day(db, -MARK) >= MARK
    incremental = _snapshot(db)
    _dbt(env, "run", "--full-refresh")
    full = _snapshot(db)
    return {"late": late.to_pandas(), "bridge": bridge, "earlier": earlier, "before": sessions_before,
            "after_late_day": after_late_day, "before_correction": after_late_day, "removed": removed,
            "moved_by": moved_by, "removed_left": removed_left,
            "duplicate_quarantined": duplicate_quarantined, "duplicate_partitions": duplicate_partitions,
            "inc": incremental, "full": full,
            "first_report_day_kept": first_day_kept, "tmp": tmp}  # fmt: skip


def test_the_late_day_holds_events_from_earlier_days(runs: dict) -> None:
    late = runs["late"]
    happened = pd.to_datetime(late["timestamp"]).dt.tz_convert("Asia/Tokyo").dt.date
    assert (happened < dt.date(2026, 3, 30)).sum() >= 3


def test_the_planted_event_merged_two_sessions(runs: dict) -> None:
    before = runs["before"]["int_usage_sessions"]
    after = runs["after_late_day"]["int_usage_sessions"]
    user = runs["bridge"]["userId"]
    assert after.loc[after.user_id == user, "session_id"].nunique() == (
        before.loc[before.user_id == user, "session_id"].nunique() - 1
    )


def test_a_late_event_moved_a_first_day_earlier(runs: dict) -> None:
    earlier = runs["earlier"]
    firsts = runs["after_late_day"]["int_usage_user_event_firsts"]
    row = firsts[
        (firsts.user_id == earlier["userId"])
        & (firsts.account_id == earlier["groupId"])
        & (firsts.event_name == earlier["event"])
    ]
    assert len(row) == 1
    assert pd.Timestamp(row.first_activity_date.iloc[0]).date() == earlier["first_date"] - dt.timedelta(days=1)


def test_the_duplicate_was_quarantined_not_counted(runs: dict) -> None:
    """The old event delivered again stays once in the event history, in its first day file."""
    assert runs["duplicate_quarantined"] == 1
    assert len(runs["duplicate_partitions"]) == 1
    assert runs["duplicate_partitions"][0][0] < dt.date.fromisoformat(LATE_DAY)


def test_the_corrected_day_file_was_reloaded(runs: dict) -> None:
    assert runs["moved_by"] == dt.timedelta(hours=3)
    assert runs["removed_left"] == 0


def test_the_removed_event_left_its_user_day_and_its_session(runs: dict) -> None:
    user_id, activity_date, occurred_at = runs["removed"]
    for snapshot, present in ((runs["before_correction"], True), (runs["inc"], False)):
        days = snapshot["int_usage_user_daily"]
        held = ((days.user_id == user_id) & (days.activity_date == pd.Timestamp(activity_date))).any()
        sessions = snapshot["int_usage_sessions"]
        covering = (
            (sessions.user_id == user_id)
            & (sessions.session_started_at <= pd.Timestamp(occurred_at))
            & (sessions.session_ended_at >= pd.Timestamp(occurred_at))
        ).any()
        assert held == present
        assert covering == present


@pytest.mark.parametrize("table", USAGE_TABLES)
def test_incremental_equals_full_refresh(runs: dict, table: str) -> None:
    inc, full = runs["inc"][table], runs["full"][table]
    assert len(inc) > 0
    pd.testing.assert_frame_equal(inc, full, check_exact=True)


def test_active_users_leave_the_days_no_late_event_reaches(runs: dict) -> None:
    """The first report day (its 30-day window ends months before the late events) was not recomputed: the
    incremental run rebuilds the days from the earliest changed user-day on, not the whole history."""
    assert runs["first_report_day_kept"]


def _key_test_fails(env: dict[str, str], after_load: str | None) -> bool:
    """Runs the event-key test of staging (macros/tests/unique_key_by_load.sql); True when it finds duplicates."""
    dbt = str(Path(sys.executable).parent / "dbt")
    args = [dbt, "test", "--select", "stg_product__events,test_name:unique_key_by_load", "--quiet"]
    args += ["--vars", json.dumps({"checks_after_load": after_load or ""})]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stdout[-4000:] + done.stderr[-2000:]
    assert "unique_key_by_load" in (Path(env["DBT_TARGET_PATH"]) / "run_results.json").read_text()
    return done.returncode == 1


def test_event_key_test_checks_new_loads_against_the_whole_history(runs: dict) -> None:
    """Scoped to the loads after a watermark, the key test still finds a new key that an old load holds, and
    leaves a duplicate that lies wholly in old loads to the periodic full check (which finds it)."""
    tmp = runs["tmp"]
    env = {**_env(tmp), "CSW_DUCKDB_PATH": str(tmp / "keys.duckdb")}
    shutil.copy(tmp / "wh.duckdb", tmp / "keys.duckdb")
    with duckdb.connect(str(tmp / "keys.duckdb"), read_only=True) as con:
        loads = con.execute("select distinct _load_id from raw.product_events order by 1").fetchall()
    first, late = (row[0] for row in loads[:2])
    assert not _key_test_fails(env, None)
    with duckdb.connect(str(tmp / "keys.duckdb")) as con:
        # an old event copied within the old load
        con.execute(
            "insert into raw.product_events select * from raw.product_events "
            "where _load_id = ? order by message_id limit 1",
            [first],
        )
    assert _key_test_fails(env, None)
    assert not _key_test_fails(env, first)
    with duckdb.connect(str(tmp / "keys.duckdb")) as con:
        # another old event's key arriving again in the late load
        con.execute(
            "insert into raw.product_events select * replace (? as _load_id) from raw.product_events "
            "where _load_id = ? order by message_id desc limit 1",
            [late, first],
        )
    assert _key_test_fails(env, first)


def _usage_rows_test_fails(env: dict[str, str], after_load: str | None) -> bool:
    """Runs the row test of int_usage_user_daily (macros/tests/usage_rows_by_load.sql); True when it fails."""
    dbt = str(Path(sys.executable).parent / "dbt")
    args = [dbt, "test", "--select", "int_usage_user_daily,test_name:usage_rows_by_load", "--quiet"]
    args += ["--vars", json.dumps({"checks_after_load": after_load or ""})]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stdout[-4000:] + done.stderr[-2000:]
    assert "usage_rows_by_load" in (Path(env["DBT_TARGET_PATH"]) / "run_results.json").read_text()
    return done.returncode == 1


def test_usage_row_test_reads_what_new_loads_wrote(runs: dict) -> None:
    """Scoped to the loads after a watermark, the usage row test leaves a duplicate among rows older loads
    wrote to the periodic full check (which finds it), and finds a row a later load wrote whose key an old row
    holds."""
    tmp = runs["tmp"]
    env = {**_env(tmp), "CSW_DUCKDB_PATH": str(tmp / "rows.duckdb")}
    shutil.copy(tmp / "wh.duckdb", tmp / "rows.duckdb")
    table = "intermediate.int_usage_user_daily"
    with duckdb.connect(str(tmp / "rows.duckdb")) as con:
        latest = con.execute(f"select max(_last_session_load_id) from {table}").fetchone()[0]
        # an old row written twice
        con.execute(
            f"insert into {table} select * from {table} where _last_session_load_id < ? "
            "order by user_id, activity_date limit 1",
            [latest],
        )
    assert _usage_rows_test_fails(env, None)
    assert not _usage_rows_test_fails(env, latest)
    with duckdb.connect(str(tmp / "rows.duckdb")) as con:
        # another old row's key written again by a later load
        con.execute(
            f"insert into {table} select * replace ('{latest}~' as _last_session_load_id) from {table} "
            "order by user_id desc, activity_date desc limit 1"
        )
    assert _usage_rows_test_fails(env, latest)
