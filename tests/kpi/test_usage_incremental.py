"""An incremental run after a late day file gives exactly the tables a full refresh gives.

The held-back day file carries the generator's late events (received days after they happened) plus one
planted event that bridges two of a user's sessions, so the incremental models must re-sessionise history,
not only append.
"""

from __future__ import annotations

import datetime as dt
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

from cs_warehouse.generator import generate

ROOT = Path(__file__).resolve().parents[2]
END = dt.date(2026, 3, 31)
LATE_DAY = END.isoformat()
SELECT = "+path:models/intermediate/usage"
USAGE_TABLES = [
    "int_usage_session_events",
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
            from intermediate.int_usage_session_events
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
    sessions_before = _snapshot(db)["int_usage_session_events"]
    _shift_first_report_day(db, MARK)

    # the late day arrives, with one planted event that merges two existing sessions
    late = pq.read_table(held_back / "part-0.parquet")
    bridge = _bridging_event(db)
    earlier = _earlier_first_event(db)
    planted = [bridge, {key: value for key, value in earlier.items() if key != "first_date"}]
    late = pa.concat_tables([late, pa.Table.from_pylist(planted, schema=late.schema)])
    day_dir = landing / "product_events" / f"dt={LATE_DAY}"
    day_dir.mkdir(parents=True)
    pq.write_table(late, day_dir / "part-0.parquet")
    _load(env)
    _dbt(env, "run")
    # still marked: the incremental run did not recompute the first report day; unmarked for the comparison
    first_day_kept = _shift_first_report_day(db, -MARK) >= MARK
    incremental = _snapshot(db)
    _dbt(env, "run", "--full-refresh")
    full = _snapshot(db)
    return {"late": late.to_pandas(), "bridge": bridge, "earlier": earlier, "before": sessions_before,
            "inc": incremental, "full": full,
            "first_report_day_kept": first_day_kept, "tmp": tmp}  # fmt: skip


def test_the_late_day_holds_events_from_earlier_days(runs: dict) -> None:
    late = runs["late"]
    happened = pd.to_datetime(late["timestamp"]).dt.tz_convert("Asia/Tokyo").dt.date
    assert (happened < dt.date(2026, 3, 30)).sum() >= 3


def test_the_planted_event_merged_two_sessions(runs: dict) -> None:
    before = runs["before"]
    after = runs["inc"]["int_usage_session_events"]
    user = runs["bridge"]["userId"]
    assert after.loc[after.user_id == user, "session_id"].nunique() == (
        before.loc[before.user_id == user, "session_id"].nunique() - 1
    )


def test_a_late_event_moved_a_first_day_earlier(runs: dict) -> None:
    earlier = runs["earlier"]
    firsts = runs["inc"]["int_usage_user_event_firsts"]
    row = firsts[
        (firsts.user_id == earlier["userId"])
        & (firsts.account_id == earlier["groupId"])
        & (firsts.event_name == earlier["event"])
    ]
    assert len(row) == 1
    assert pd.Timestamp(row.first_activity_date.iloc[0]).date() == earlier["first_date"] - dt.timedelta(days=1)


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
    env = {**env, "CSW_CHECKS_AFTER_LOAD": after_load or ""}
    dbt = str(Path(sys.executable).parent / "dbt")
    args = [dbt, "test", "--select", "stg_product__events,test_name:unique_key_by_load", "--quiet"]
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
    first, late = (row[0] for row in loads)
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
